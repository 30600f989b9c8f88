"""What one request may ask of the server, checked before the work it would cause.

The server is open to strangers, so a small document must not be able to buy a lot of work:
- its text is bounded in bytes before it is parsed (PYLON_MAX_DOCUMENT_BYTES);
- its selection, with every fragment expanded, is counted in linear time and bounded
  (PYLON_MAX_SELECTIONS) before graphql-core validates it: fragments that spread fragments
  expand exponentially, and graphql-core's overlapping-fields rule would walk every expansion;
- its cost is estimated from the sizes of the lists it selects and the blocks it reads that the
  cache does not hold, and held to the caller's budget (PYLON_MAX_COST_<ROLE>) before
  it runs; the estimate is returned in `extensions.cost.estimated`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from ..auth import Role
from ..settings import Settings
from .context import Context
from .errors import ErrorCode

#: Items a list field is taken to hold when no argument bounds it: a subnet's neurons (and its
#: commitments, the validator's weights) number at most 1024 at a block on finney today.
LIST_SIZE = 1024
#: Arguments that bound a list field's size, by field name.
SIZE_ARGUMENTS = {"neurons": "first", "weightCommits": "last"}
#: Fields answering a page object whose `first` bounds the list inside it (`NeuronPage.neurons`).
PAGE_ARGUMENTS = {"neuronPage": "first"}
#: Sizes of those lists when the argument is left out.
DEFAULT_SIZES = {"weightCommits": 20}
#: Lists a list argument bounds to its length, by (type, field): a matrix's rows with `uids`.
LENGTH_ARGUMENTS = {("Metagraph", "chainWeights"): "uids", ("Metagraph", "bonds"): "uids"}
#: Sizes of lists, by (type, field), when no argument bounds them: a matrix's rows (a row per
#: validator: 64, the chain's default `max_validators`; a few subnets allow up to 256), a
#: block's extrinsics and events, a hotkey's stake links.
TYPED_SIZES = {
    ("Query", "subnets"): 256,  # 129 subnets on finney in 2025, room to grow
    ("Metagraph", "chainWeights"): 64,
    ("Metagraph", "bonds"): 64,
    ("Block", "extrinsics"): 256,
    ("Block", "events"): 512,
    ("Extrinsic", "events"): 16,
    # most hotkeys have none; subtensor allows a parent 5 children
    ("Neuron", "parents"): 1,
    ("Neuron", "children"): 1,
}
#: Root fields that read the chain at their `block` argument (`block` reads at `number`).
BLOCK_ARGUMENT = {
    "pendingWeightCommits": "block",
    "revealedCommitments": "block",
    "metagraph": "block",
    "neuron": "block",
    "epoch": "block",
    "hyperparameters": "block",
    "subnet": "block",
    "commitment": "block",
    "commitments": "block",
    "subnets": "block",
    "weights": "block",
    "block": "number",
}


def _error(message: str, code: ErrorCode, **details: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **details})


def expanded_selections(document: DocumentNode, stop_at: int) -> int:
    """The most fields any operation or fragment of `document` selects once its fragment
    spreads are expanded, counted without expanding them (each fragment is counted once);
    counting stops past `stop_at`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}

    def fragment(name: str, visiting: frozenset[str]) -> int:
        if name in counted:
            return counted[name]
        definition = fragments.get(name)
        if definition is None or name in visiting:
            return 0  # unknown or cyclic: graphql-core's own rules refuse it
        counted[name] = total = selection(definition.selection_set, visiting | {name})
        return total

    def selection(selection_set: SelectionSetNode, visiting: frozenset[str]) -> int:
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += 1
                if node.selection_set is not None:
                    total += selection(node.selection_set, visiting)
            elif isinstance(node, InlineFragmentNode):
                total += selection(node.selection_set, visiting)
            elif isinstance(node, FragmentSpreadNode):
                total += fragment(node.name.value, visiting)
            if total > stop_at:
                return total
        return total

    most = 0
    for definition in document.definitions:
        if isinstance(definition, ExecutableDefinitionNode):
            most = max(most, selection(definition.selection_set, frozenset()))
            if most > stop_at:
                break
    return most


@dataclass(frozen=True)
class Cost:
    """A query's estimated cost: `values` (about one unit per value of the answer) plus the
    blocks it reads, of which `cold` are not in the cache."""

    values: int
    blocks: frozenset[int]
    cold: int

    def total(self, cold_block_cost: int) -> int:
        return self.values + self.cold * cold_block_cost


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> object:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return _value(argument.value, variables)
    return None


def _value(node: ValueNode, variables: Mapping[str, Any]) -> object:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)  # its length is what counts
    return None


def estimate_values(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> tuple[int, set[int]]:
    """The values the answer holds, estimated (a list field at its size), and the explicit
    block numbers its root fields read."""
    blocks: set[int] = set()
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0, blocks

    def selection(
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        seen: frozenset[str],
        page: int = LIST_SIZE,
    ) -> int:
        total = 0
        for node, owner in _fields(schema, parent, selection_set, fragments, seen):
            name = node.name.value
            if owner is root and name == "history":
                # a series: each point a block (a cold one costs as any), the list that long
                points = history_points(node, variables)
                blocks.update(points)
                inner = get_named_type(owner.fields[name].type)
                below = 0
                if node.selection_set is not None and isinstance(inner, GraphQLObjectType):
                    below = selection(inner, node.selection_set, seen)
                total += 1 + max(len(points), 1) * below
                continue
            if owner is root and name in BLOCK_ARGUMENT:
                number = _argument(node, BLOCK_ARGUMENT[name], variables)
                if isinstance(number, int) and not isinstance(number, bool):
                    blocks.add(number)
            field = owner.fields.get(name)
            if field is None:
                total += 1  # __typename and friends
                continue
            size = _list_size(node, field.type, variables, owner.name)
            if size == LIST_SIZE and owner.name.endswith("Page"):
                size = page  # the list of a page: its parent's `first`
            inner = get_named_type(field.type)
            below = 0
            if node.selection_set is not None and isinstance(inner, GraphQLObjectType):
                bound = LIST_SIZE
                if name in PAGE_ARGUMENTS:
                    given = _argument(node, PAGE_ARGUMENTS[name], variables)
                    if isinstance(given, int) and not isinstance(given, bool) and given >= 0:
                        bound = min(given, LIST_SIZE)
                below = selection(inner, node.selection_set, seen, bound)
            total += 1 + size * below
        return total

    return selection(root, operation.selection_set, frozenset()), blocks


#: Points a `history` series is taken to hold when its arguments do not tell (variables that
#: are not numbers yet, a `toBlock` left out): the default PYLON_MAX_HISTORY_POINTS.
HISTORY_POINTS = 500


def history_points(node: FieldNode, variables: Mapping[str, Any]) -> list[int]:
    """The blocks of a `history` field, when its arguments are numbers (at most
    HISTORY_POINTS; none for arguments the resolver refuses), else a stand-in list of
    HISTORY_POINTS blocks below 0, which no cache holds."""
    start = _argument(node, "fromBlock", variables)
    end = _argument(node, "toBlock", variables)
    step = _argument(node, "step", variables)
    step = 1 if step is None else step

    def number(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if (
        isinstance(start, int)
        and isinstance(end, int)
        and isinstance(step, int)
        and all(number(n) for n in (start, end, step))
    ):
        if step < 1 or start < 0 or end < start:
            return []  # BAD_USER_INPUT from the resolver, which reads nothing
        return list(range(start, min(end, start + step * (HISTORY_POINTS - 1)) + 1, step))
    return list(range(-HISTORY_POINTS, 0))


def _list_size(
    node: FieldNode, output: GraphQLOutputType, variables: Mapping[str, Any], owner: str = ""
) -> int:
    if not isinstance(get_nullable_type(output), GraphQLList):
        return 1
    name = node.name.value
    if (owner, name) in LENGTH_ARGUMENTS:
        given = _argument(node, LENGTH_ARGUMENTS[(owner, name)], variables)
        if isinstance(given, list):
            return min(len(given), LIST_SIZE)
    if (owner, name) in TYPED_SIZES:
        return TYPED_SIZES[(owner, name)]
    if name in SIZE_ARGUMENTS:
        given = _argument(node, SIZE_ARGUMENTS[name], variables)
        if isinstance(given, int) and not isinstance(given, bool) and given >= 0:
            return min(given, LIST_SIZE)
        return DEFAULT_SIZES.get(name, LIST_SIZE)
    return LIST_SIZE


def _fields(
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterator[tuple[FieldNode, GraphQLObjectType]]:
    """Each field selected on `parent`, with the object type it is selected on (an inline
    fragment or a fragment may name a narrower type, a union member)."""
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            yield node, parent
        elif isinstance(node, InlineFragmentNode | FragmentDefinitionNode | FragmentSpreadNode):
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                definition = fragments.get(name)
                if definition is None or name in seen:
                    continue
                seen = seen | {name}
                node = definition
            owner = parent
            if node.type_condition is not None:
                named = schema.get_type(node.type_condition.name.value)
                owner = named if isinstance(named, GraphQLObjectType) else parent
            yield from _fields(schema, owner, node.selection_set, fragments, seen)


class RequestLimits(SchemaExtension):
    """The document's size, its expanded selection and its cost, each refused with a typed
    error before the work it would cause."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings
        self.cost: Cost | None = None

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        limit = self.settings.max_document_bytes
        # len(str) counts characters; UTF-8 takes at most 4 bytes for one.
        if len(query) > limit // 4 and len(query.encode()) > limit:
            raise _error(
                f"the query document is larger than {limit} bytes (PYLON_MAX_DOCUMENT_BYTES)",
                ErrorCode.REQUEST_TOO_LARGE,
            )
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        limit = self.settings.max_selections
        if document is not None and expanded_selections(document, limit) > limit:
            # Set before graphql-core's validation runs, which then does not run at all.
            self.execution_context.pre_execution_errors = [
                _error(
                    f"the query selects more than {limit} fields once its fragments are "
                    "expanded (PYLON_MAX_SELECTIONS); select less, or split it",
                    ErrorCode.QUERY_TOO_COMPLEX,
                )
            ]
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.operation_type is OperationType.QUERY:
            refused = self._judge_cost(document)
            if refused is not None:
                # A result set before execution makes strawberry skip the execution.
                context.result = ExecutionResult(data=None, errors=[refused])
        yield

    def get_results(self) -> dict[str, Any]:
        # The estimate only: the caller's budget (a refusal names it) would make answers of
        # the same data differ by role, and they are kept and shared by the response cache.
        if self.cost is None:
            return {}
        return {"cost": {"estimated": self.cost.total(self.settings.cold_block_cost)}}

    def _budget_of(self, role: Role) -> int:
        return {
            Role.READER: self.settings.max_cost_reader,
            Role.VALIDATOR: self.settings.max_cost_validator,
            Role.OWNER: self.settings.max_cost_owner,
        }[role]

    def _judge_cost(self, document: DocumentNode) -> GraphQLError | None:
        context = self.execution_context
        operation = _operation(document, context.operation_name)
        if operation is None:
            return None  # graphql-core says which operation is missing
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        values, blocks = estimate_values(
            context.schema._schema, operation, fragments, context.variables or {}
        )
        request = context.context
        cold = 0
        budget = self.settings.max_cost_anonymous
        if isinstance(request, Context):
            cold = sum(1 for number in blocks if not request.reader.holds(number))
            # A token of several roles gets the largest of their budgets.
            budget = max((self._budget_of(role) for role in request.roles), default=budget)
        self.cost = Cost(values, frozenset(blocks), cold)
        total = self.cost.total(self.settings.cold_block_cost)
        if total <= budget:
            return None
        return _error(
            f"the query would cost about {total} (values it returns, plus "
            f"{self.settings.cold_block_cost} per block not in the cache: {cold}) and the "
            f"budget is {budget}; select fewer fields, neurons (`first`) or matrix rows "
            "(`uids`), fewer blocks, "
            "or send a token",
            ErrorCode.QUERY_TOO_COMPLEX,
            cost=total,
            budget=budget,
        )


class ValidationCacheAfterLimits(ValidationCache):
    """Strawberry's validation cache, which validates even when an earlier extension has
    refused the document already; this one leaves such a document alone (validating the
    fragment bomb is the very work the refusal spares)."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)
