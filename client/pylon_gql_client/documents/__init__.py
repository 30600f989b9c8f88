"""The client's GraphQL documents: one `.graphql` file per operation, fragments shared.

`document("metagraph")` is the operation with the fragments it uses (and only those) appended,
so every request sends a complete, valid document.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from importlib import resources

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from pydantic.alias_generators import to_camel

from ..partial import attributes

FRAGMENTS_FILE = "fragments.graphql"


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def operation_names() -> list[str]:
    """Names of the operation files (without `.graphql`)."""
    return sorted(
        entry.name.removesuffix(".graphql")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".graphql") and entry.name != FRAGMENTS_FILE
    )


@functools.cache
def fragments() -> dict[str, FragmentDefinitionNode]:
    parsed = parse(_read(FRAGMENTS_FILE), no_location=True)
    return {
        definition.name.value: definition
        for definition in parsed.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)


def _spreads(node: object) -> list[str]:
    visitor = _Spreads()
    visit(node, visitor)  # type: ignore[arg-type]
    return visitor.names


def _with_fragments(
    operation: OperationDefinitionNode, available: dict[str, FragmentDefinitionNode]
) -> str:
    needed: dict[str, FragmentDefinitionNode] = {}
    pending = _spreads(operation)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed[name] = available[name]
        pending.extend(_spreads(available[name]))
    definitions = [operation, *(needed[name] for name in sorted(needed))]
    return print_ast(DocumentNode(definitions=tuple(definitions)))


def _operation(name: str) -> OperationDefinitionNode:
    [operation] = parse(_read(f"{name}.graphql"), no_location=True).definitions
    assert isinstance(operation, OperationDefinitionNode)
    return operation


@functools.cache
def document(name: str) -> str:
    """The operation in `<name>.graphql`, with the fragments it uses."""
    return _with_fragments(_operation(name), fragments())


def neuron_selection(fields: Iterable[str]) -> FragmentDefinitionNode:
    """`NeuronFields` cut down to `fields` (Neuron field names, in either spelling) plus `uid`
    and `block`: every answer says which block it is for."""
    stock = fragments()["NeuronFields"]
    wanted = {to_camel(field) for field in attributes(fields)}
    known = {s.name.value for s in stock.selection_set.selections if isinstance(s, FieldNode)}
    unknown = wanted - known
    if unknown:
        raise ValueError(f"not Neuron fields: {', '.join(sorted(unknown))}")
    selections = tuple(
        s
        for s in stock.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in wanted
    )
    return FragmentDefinitionNode(
        name=stock.name,
        type_condition=stock.type_condition,
        directives=(),
        selection_set=SelectionSetNode(selections=selections),
    )


@functools.cache
def _document_with_neuron_fields(name: str, fields: frozenset[str]) -> str:
    return _with_fragments(
        _operation(name), {**fragments(), "NeuronFields": neuron_selection(fields)}
    )


def document_with_neuron_fields(name: str, fields: Collection[str]) -> str:
    """The operation in `<name>.graphql`, selecting only `fields` of each neuron."""
    return _document_with_neuron_fields(name, frozenset(fields))
