"""Serving limits: depth, aliases, tokens, introspection."""

from __future__ import annotations

from pylon_gql.schema import Context, create_schema
from pylon_gql.settings import Settings

from .conftest import Execute
from .fakes import FakeReader, make_settings


async def run(settings: Settings, document: str) -> dict:
    schema = create_schema(settings)
    context = Context(settings=settings, reader=FakeReader(), request_id="r")
    result = await schema.execute(document, context_value=context)
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


async def test_a_query_over_the_depth_limit_is_refused() -> None:
    settings = make_settings(max_query_depth=2)
    deep = await run(settings, "{ head { epoch { commitWindow { start } } } }")
    assert deep["data"] is None
    [error] = deep["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "exceeds maximum operation depth of 2" in error["message"]
    shallow = await run(settings, "{ head { epoch { start } } }")
    assert shallow["errors"] == []


async def test_a_query_over_the_alias_limit_is_refused() -> None:
    settings = make_settings(max_aliases=2)
    ok = await run(settings, "{ a: head { number } b: head { number } }")
    assert ok["errors"] == []
    refused = await run(settings, "{ a: head { number } b: head { number } c: head { number } }")
    assert refused["data"] is None
    assert refused["errors"][0]["message"] == "3 aliases found. Allowed: 2"
    assert refused["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_document_over_the_token_limit_is_refused() -> None:
    settings = make_settings(max_tokens=20)
    refused = await run(settings, "{ " + "head { number } " * 10 + "}")
    assert refused["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert "more than 20 tokens" in refused["errors"][0]["message"]


async def test_introspection_is_on_by_default_and_off_by_setting(execute: Execute) -> None:
    on = await execute("{ __schema { queryType { name } } }")
    assert on["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    settings = make_settings(introspection=False)
    off = await run(settings, "{ __schema { queryType { name } } }")
    assert off["data"] is None
    assert off["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
