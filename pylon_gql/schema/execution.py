"""A graphql-core executor that completes lists of plain objects without per-field machinery.

graphql-core completes every field of every list item on its own: a path, a resolve info, a
resolver call, an awaitable check, a completion. For a metagraph that is ~30 000 fields and
most of a request's time. Here a list whose items are objects with only plain-attribute fields
(strawberry's "basic" fields: no resolver, no permission, no extension, no arguments) is
completed by a plan compiled once per request and list: `getattr` and the type's own output
coercion per field, in selection order, so the answer is the same, byte for byte. Anything the
plan does not cover (a null where a non-null is due, a value the scalar refuses, a resolver,
an abstract type, @defer/@stream, middleware) falls back to graphql-core for that list, which
raises the errors it always raised.

A list may also come as `Columns` (a sequence per attribute, the weights matrix's rows): the plan
then builds each item's answer straight from the columns, with no object per item (a quarter
of the time for a 200,000-entry matrix); graphql-core, and a plan that does not fit, iterate it
as objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

__all__ = ["Columns", "PlainListExecutor"]

Completer = Callable[[Any], dict[str, Any]]
ColumnsCompleter = Callable[["Columns"], list[dict[str, Any]]]
Step = tuple[str, Any, bool, Any, "Completer | None"]


class Columns:
    """A list of `length` objects held as columns: a sequence per attribute name, or a function
    that makes it (called once, when a query selects it).

    `exact` names the columns whose values are their own output values (ints within GraphQL's
    Int, finite floats, strings; never None): the compiled completion takes them as they are.
    `make(**attributes)` makes one item as an object, for graphql-core's completion.
    """

    __slots__ = ("_columns", "_made", "exact", "length", "make")

    def __init__(
        self,
        length: int,
        columns: Mapping[str, Sequence[Any] | Callable[[], Sequence[Any]]],
        make: Callable[..., Any],
        exact: frozenset[str] = frozenset(),
    ) -> None:
        self.length = length
        self._columns = columns
        self._made: dict[str, Sequence[Any]] = {}
        self.make = make
        self.exact = exact

    def column(self, name: str) -> Sequence[Any]:
        found = self._made.get(name)
        if found is None:
            source = self._columns[name]
            found = self._made[name] = source() if callable(source) else source
        return found

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Any]:
        names = list(self._columns)
        for values in zip(*(self.column(name) for name in names), strict=True):
            yield self.make(**dict(zip(names, values, strict=True)))


class _Fallback(Exception):
    """The plan does not cover this value: let graphql-core complete the list."""


_UNCOVERED = object()


class PlainListExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Compiled plans of this request, by (item type, field details list): the steps, and
        #: the completers of objects and of columns made of them.
        self._plans: dict[tuple[str, int], tuple[object, _Plan]] = {}

    def complete_list_value(  # type: ignore[override]
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: list[FieldDetails],
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        middleware = self.middleware_manager
        wrapped = middleware is not None and middleware._middleware_resolvers is not None
        if isinstance(result, Columns):
            if not wrapped:
                item_type = return_type.of_type
                if is_non_null_type(item_type) and is_object_type(item_type.of_type):
                    by_columns = self._planned(item_type.of_type, field_details_list).columns
                    if by_columns is not None:
                        try:
                            return by_columns(result)
                        except _Fallback:
                            pass
            result = list(result)
        # A list of awaitables (`history`'s points) is graphql-core's to await, item by item.
        if isinstance(result, list | tuple) and not wrapped and not self._awaited(result):
            item_type = return_type.of_type
            if is_non_null_type(item_type) and is_object_type(item_type.of_type):
                complete = self._plan(item_type.of_type, field_details_list)
                if complete is not None:
                    try:
                        return [complete(item) for item in result]
                    except _Fallback:
                        pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _awaited(self, items: list[Any] | tuple[Any, ...]) -> bool:
        return bool(items) and self.is_awaitable(items[0])

    def _plan(
        self, object_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> Completer | None:
        return self._planned(object_type, field_details_list).objects

    def _planned(
        self, object_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> _Plan:
        key = (object_type.name, id(field_details_list))
        cached = self._plans.get(key)
        # The list is kept with its plan, so its id is not reused during this request.
        if cached is not None and cached[0] is field_details_list:
            return cached[1]
        steps = self._compile(object_type, field_details_list)
        plan = _Plan(steps)
        self._plans[key] = (field_details_list, plan)
        return plan

    def _compile(
        self, object_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> tuple[Step, ...] | None:
        if object_type.is_type_of is not None:
            return None
        if any(d.node.directives for d in field_details_list):
            return None  # @stream and kin
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        steps: list[Step] = []
        for response_key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                steps.append((response_key, _UNCOVERED, False, object_type.name, None))
                continue
            if any(d.node.arguments or d.node.directives for d in details):
                return None
            field = object_type.fields.get(name)
            if field is None or not getattr(field.resolve, "_is_default", False):
                return None
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or definition.base_resolver or definition.extensions:
                return None
            python_name: str = definition.python_name
            field_type = field.type
            non_null = is_non_null_type(field_type)
            base = field_type.of_type if non_null else field_type  # type: ignore[union-attr]
            if is_leaf_type(base):
                steps.append((response_key, python_name, non_null, base.coerce_output_value, None))  # type: ignore[union-attr]
            elif is_object_type(base):
                inner = self._plan(base, details)  # type: ignore[arg-type]
                if inner is None:
                    return None
                steps.append((response_key, python_name, non_null, None, inner))
            else:
                return None  # lists and abstract types: graphql-core's job
        return tuple(steps)


class _Plan:
    """The steps compiled for a type and selection, and the completers made of them."""

    __slots__ = ("columns", "objects")

    def __init__(self, steps: tuple[Step, ...] | None) -> None:
        self.objects = None if steps is None else _completer(steps)
        self.columns = None if steps is None else _columns_completer(steps)


def _columns_completer(steps: tuple[Step, ...]) -> ColumnsCompleter | None:
    """Items' answers built from `Columns`: only leaf fields (and `__typename`)."""
    if any(inner is not None for *_, inner in steps):
        return None
    keys = tuple(step[0] for step in steps)

    def complete(columns: Columns) -> list[dict[str, Any]]:
        built: list[Any] = []
        for _, attribute, non_null, coerce, _inner in steps:
            if attribute is _UNCOVERED:
                built.append(repeat(coerce, columns.length))  # __typename
                continue
            try:
                values = columns.column(attribute)
            except KeyError:
                raise _Fallback from None
            if len(values) != columns.length:
                raise _Fallback
            if attribute not in columns.exact:
                values = [_coerced(coerce, non_null, value) for value in values]
            built.append(values)
        # Every column has `columns.length` values (`repeat` has as many as asked).
        return list(map(dict, map(zip, repeat(keys), zip(*built, strict=False))))

    return complete


def _coerced(coerce: Any, non_null: bool, value: Any) -> Any:
    """A leaf value as the plan completes it; `_Fallback` where graphql-core must say why."""
    if value is None:
        if non_null:
            raise _Fallback
        return None
    try:
        coerced = coerce(value)
    except (GraphQLError, TypeError, ValueError):
        raise _Fallback from None
    if coerced is None or coerced is Undefined:
        raise _Fallback
    return coerced


def _completer(steps: tuple[Step, ...]) -> Completer:
    def complete(source: Any) -> dict[str, Any]:
        if source is None:
            raise _Fallback
        out: dict[str, Any] = {}
        for key, attribute, non_null, coerce, inner in steps:
            if attribute is _UNCOVERED:
                out[key] = coerce  # __typename: the type's name
                continue
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    raise _Fallback
                out[key] = None
            elif inner is not None:
                out[key] = inner(value)
            else:
                try:
                    coerced = coerce(value)
                except (GraphQLError, TypeError, ValueError):
                    raise _Fallback from None
                if coerced is None or coerced is Undefined:
                    raise _Fallback
                out[key] = coerced
        return out

    return complete
