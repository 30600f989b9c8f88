"""What a cacheable query's answer depends on: its plan, and the key an answer is kept under.

An answer is fixed by the document, the operation, the variables, the caller's roles and, for
fields that answer at the head when `block` is left out, the hash of the head they answered at.
Fields given an explicit block number need no hash in the key: a finalized block never changes,
and a number past the head is an error, which is never cached. So a new head invalidates
nothing; it only moves what the head-defaulting queries' keys say.

A query is cached only when every root field is one of the chain reads this module knows
(`BLOCK_FIELDS`, `HEAD_FIELDS`, `STATIC_FIELDS`, and `history`, fixed by its `toBlock`): a root
field it does not know (the weight store's, a mutation's, a subscription's) or a field whose
answer changes without a new block (`VOLATILE_FIELDS`) makes the whole request go past the
cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    parse,
    print_ast,
)

from ..models import BlockRef

#: Root fields that answer at their `block` argument, or at the head when it is null.
BLOCK_FIELDS = frozenset(
    {
        "metagraph",
        "neuron",
        "hyperparameters",
        "subnet",
        "commitment",
        "commitments",
        "pendingWeightCommits",
        "revealedCommitments",
        "subnets",
    }
)
#: Root fields that always answer at the head (`epoch` of a block past the head is projected
#: from the head's tempo: its answer changes with the head).
HEAD_FIELDS = frozenset({"head", "chain", "epoch"})
#: Root fields fixed by the schema alone.
STATIC_FIELDS = frozenset({"__typename", "__schema", "__type"})
#: Fields whose answer changes between blocks: a document selecting one is never cached.
VOLATILE_FIELDS = frozenset({"headAgeSeconds", "stale"})
#: Fields that answer from the head whatever block their root field reads (`Epoch.next` past
#: the head is predicted from the head's tempo): a document selecting one is keyed by the head.
HEAD_DEPENDENT_FIELDS = frozenset({"next"})

#: Variables larger than this (as JSON) make an answer not worth keeping.
MAX_KEY_VARIABLES_BYTES = 16 * 2**10
#: Bytes of documents whose analysis is kept.
PLAN_CACHE_BYTES = 8 * 2**20
#: Bytes counted per kept plan on top of its texts.
ENTRY_OVERHEAD = 512

#: (normalised document, operation name, variables as canonical JSON, head hash, roles)
CacheKey = tuple[str, str, bytes, str, str]


class _Unknown:
    """A value the plan cannot tell before execution (execution will say)."""


_UNKNOWN = _Unknown()


@dataclass(frozen=True)
class _Argument:
    """Where a root field's argument comes from: a variable (with its default) or a literal."""

    variable: str | None
    value: object

    def resolve(self, variables: Mapping[str, Any]) -> object:
        if self.variable is not None and self.variable in variables:
            return variables[self.variable]
        return self.value


@dataclass(frozen=True)
class QueryPlan:
    """What a cacheable query operation's answer depends on, besides its text."""

    #: The document as graphql-core prints it: whitespace and commas do not split the cache.
    document: str
    operation_name: str
    #: A root field answers at the head whatever the variables are.
    always_at_head: bool
    #: Per `block(number:, hash:)` field: (number, hash); per other block field: (block, None).
    block_arguments: tuple[tuple[_Argument, _Argument | None], ...]
    root_fields: frozenset[str]
    #: The operation's own name (None: unnamed), which the request metrics label it by.
    name: str | None = None

    def at_head(self, variables: Mapping[str, Any]) -> bool:
        """Whether some field answers at the head for these variables."""
        if self.always_at_head:
            return True
        for number, hash_ in self.block_arguments:
            value = number.resolve(variables)
            if not isinstance(value, int) or isinstance(value, bool):
                return True
            if hash_ is not None and hash_.resolve(variables) is not None:
                return True  # an unknown hash answers null, until it exists
        return False


class Uncacheable(Exception):
    """The operation's answer is not fixed by the key (or not an answer worth keeping)."""


def plan_query(query: str, operation_name: str | None, max_tokens: int) -> QueryPlan:
    """The plan of a cacheable query operation; `Uncacheable` for anything else (a mutation, a
    subscription, an unknown root field, a volatile field, a document that does not parse)."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        raise Uncacheable("does not parse") from error
    operation = _operation(document, operation_name)
    if operation.operation is not OperationType.QUERY:
        raise Uncacheable(f"a {operation.operation.value}")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if _selects(document, VOLATILE_FIELDS):
        raise Uncacheable("selects a field that changes without a new block")
    defaults: dict[str, object] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        defaults[definition.variable.name.value] = (
            None if default is None else _literal(default, {})
        )
    always_at_head = _selects(document, HEAD_DEPENDENT_FIELDS)
    root_fields: set[str] = set()
    block_arguments: list[tuple[_Argument, _Argument | None]] = []
    for field in _root_fields(operation.selection_set, fragments, set()):
        name = field.name.value
        root_fields.add(name)
        arguments = {a.name.value: _argument(a.value, defaults) for a in field.arguments or ()}
        absent = _Argument(None, None)
        if name in STATIC_FIELDS:
            continue
        if name in HEAD_FIELDS:
            always_at_head = True
        elif name in BLOCK_FIELDS:
            block_arguments.append((arguments.get("block", absent), None))
        elif name == "block":
            block_arguments.append((arguments.get("number", absent), arguments.get("hash", absent)))
        elif name == "history":
            # every point is at or below `toBlock` (past the head: an error, never kept)
            block_arguments.append((arguments.get("toBlock", absent), None))
        else:
            raise Uncacheable(f"root field {name!r} is not a chain read")
    return QueryPlan(
        document=print_ast(document),
        operation_name=operation_name or "",
        always_at_head=always_at_head,
        block_arguments=tuple(block_arguments),
        root_fields=frozenset(root_fields),
        name=None if operation.name is None else operation.name.value,
    )


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise Uncacheable("no single operation")
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise Uncacheable(f"no operation {operation_name!r}")


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> list[FieldNode]:
    """Every root field the operation may select (@skip/@include ignored: selecting more only
    makes the key stricter)."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields.extend(_root_fields(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None:
                raise Uncacheable(f"unknown fragment {name!r}")
            if name not in seen:
                seen.add(name)
                fields.extend(_root_fields(fragment.selection_set, fragments, seen))
    return fields


def _selects(document: DocumentNode, names: frozenset[str]) -> bool:
    """Whether any operation or fragment of the document selects a field named in `names`."""
    pending: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode) and selection.name.value in names:
                return True
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return False


def _argument(value: ValueNode, defaults: Mapping[str, object]) -> _Argument:
    if isinstance(value, VariableNode):
        name = value.name.value
        return _Argument(name, defaults.get(name))
    return _Argument(None, _literal(value, defaults))


def _literal(value: ValueNode, defaults: Mapping[str, object]) -> object:
    if isinstance(value, NullValueNode):
        return None
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, StringValueNode):
        return value.value
    return _UNKNOWN


class PlanCache:
    """Plans by (document text, operation name), least recently used out, bounded by the bytes
    of the documents they keep (not their count: 300 documents of a 1 MB comment each must not
    hold 300 MB)."""

    def __init__(
        self, max_tokens: int, max_bytes: int = PLAN_CACHE_BYTES, max_document_bytes: int = 65_536
    ) -> None:
        self.max_tokens = max_tokens
        #: Larger documents are not planned (nor cached): execution refuses them unparsed,
        #: and lexing a megabyte of comment here would hold the loop for as long.
        self.max_document_bytes = max_document_bytes
        self._plans: LRUCache[tuple[str, str | None], tuple[QueryPlan | None, int]] = LRUCache(
            max_bytes, getsizeof=lambda entry: entry[1]
        )

    @property
    def size(self) -> int:
        """Bytes counted for what is kept."""
        return int(self._plans.currsize)

    def get(self, query: str, operation_name: str | None) -> QueryPlan | None:
        """The plan, or None when the operation is not cacheable."""
        if len(query) > self.max_document_bytes:
            return None
        key = (query, operation_name)
        entry = self._plans.get(key)
        if entry is not None:
            return entry[0]
        try:
            plan = plan_query(query, operation_name, self.max_tokens)
        except Uncacheable:
            plan = None
        # The key's text, the plan's printed document, and what holding them costs besides.
        cost = len(query) + len(operation_name or "") + ENTRY_OVERHEAD
        if plan is not None:
            cost += len(plan.document)
        if cost <= self._plans.maxsize:
            self._plans[key] = (plan, cost)
        return plan


def cache_key(
    plan: QueryPlan, variables: Mapping[str, Any] | None, head: BlockRef | None, roles: str
) -> CacheKey | None:
    """The key of an answer; None when it depends on a head the server has not seen yet, or
    its variables are too large to be worth a key (a megabyte of unused variables would make
    every such answer a megabyte of cache)."""
    variables = variables or {}
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    if len(encoded) > MAX_KEY_VARIABLES_BYTES:
        return None
    head_hash = ""
    if plan.at_head(variables):
        if head is None:
            return None
        head_hash = head.hash
    return (plan.document, plan.operation_name, encoded, head_hash, roles)
