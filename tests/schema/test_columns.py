"""`Columns`: a list given as a sequence per attribute, completed from the columns by the plan,
with graphql-core's answer (and errors) where the plan does not fit."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry

from pylon_gql.schema.execution import Columns, PlainListExecutor


class Item:
    __slots__ = ("count", "name")

    def __init__(self, name: str | None, count: int) -> None:
        self.name = name
        self.count = count


@strawberry.type
class Entry:
    name: str
    count: int


@strawberry.type
class Inner:
    entries: list[Entry]


def good_columns() -> Any:
    names = ["a", "b", "c"]
    return Columns(3, {"name": names, "count": lambda: [1, 2, 3]}, Item, frozenset({"name"}))


@strawberry.type
class Query:
    @strawberry.field
    def good(self) -> list[Entry]:
        return good_columns()

    @strawberry.field
    def bad(self) -> list[Entry]:
        # a null where the schema promises a name, and a count past 32 bits, neither exact
        columns: Any = Columns(3, {"name": ["a", None, "c"], "count": [1, 2**40, 3]}, Item)
        return columns

    @strawberry.field
    def nested(self) -> Inner:
        return Inner(entries=good_columns())


async def answer(schema: strawberry.Schema, document: str) -> bytes:
    result = await schema.execute(document)
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [error.formatted for error in result.errors]
    return orjson.dumps(out)


FAST = strawberry.Schema(query=Query, execution_context_class=PlainListExecutor)
PLAIN = strawberry.Schema(query=Query)


async def test_columns_answer_what_graphql_core_answers() -> None:
    for document in (
        "{ good { name count } }",
        "{ good { __typename c: count name count } }",
        "{ nested { entries { count } } }",
        "{ good { ... on Entry { name } } }",
    ):
        fast = await answer(FAST, document)
        assert b'"errors"' not in fast
        assert fast == await answer(PLAIN, document), document
    assert await answer(FAST, "{ good { name count } }") == orjson.dumps(
        {"data": {"good": [{"name": n, "count": i} for i, n in enumerate("abc", 1)]}}
    )


async def test_columns_the_plan_refuses_get_graphql_cores_errors() -> None:
    for document in ("{ bad { name } }", "{ bad { count } }", "{ bad { name count } }"):
        fast = await answer(FAST, document)
        assert b'"errors"' in fast
        assert fast == await answer(PLAIN, document), document


async def test_a_column_made_by_a_function_is_made_once_and_only_when_selected() -> None:
    made: list[str] = []

    def counts() -> list[int]:
        made.append("count")
        return [1, 2]

    columns = Columns(2, {"name": ["x", "y"], "count": counts}, Item, frozenset({"name"}))
    assert columns.column("name") == ["x", "y"]
    assert made == []
    assert columns.column("count") is columns.column("count")
    assert made == ["count"]
    assert [(item.name, item.count) for item in columns] == [("x", 1), ("y", 2)]
