"""Serving limits: depth, aliases, tokens, introspection, document bytes, expanded selections,
cost, list and address lengths."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import parse

from pylon_gql import validation
from pylon_gql.auth import Role
from pylon_gql.schema import Context, create_schema
from pylon_gql.schema.limits import expanded_selections
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


def fragment_bomb(k: int) -> str:
    """k fragments, each spreading the one before twice: 2**k copies of one field."""
    fragments = ["fragment F0 on Query { head { number } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k + 1)]
    return f"{{ ...F{k} }}\n" + "\n".join(fragments)


async def test_a_fragment_bomb_is_refused_before_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[object] = []
    original = strawberry_schema.validate_document

    def spy(*args: Any, **kwargs: Any) -> Any:
        validated.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate_document", spy)
    settings = make_settings()
    refused = await run(settings, fragment_bomb(21))  # 4 million fields: 26 s to validate
    [error] = refused["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    assert "PYLON_MAX_SELECTIONS" in error["message"]
    assert validated == []  # refused by counting, never handed to validation
    # Below the bound the same shape is served.
    assert (await run(settings, fragment_bomb(8)))["errors"] == []


def test_expanded_selections_counts_each_fragment_once() -> None:
    document = parse(fragment_bomb(60))  # 2**61 fields: counting must not expand them
    assert expanded_selections(document, stop_at=10**30) == 2 * 2**60
    assert expanded_selections(parse("{ a b { c d } ... on Query { e } }"), 100) == 5


async def test_a_document_over_the_byte_limit_is_refused_before_parsing() -> None:
    settings = make_settings(max_document_bytes=1024)
    refused = await run(settings, "#" + "x" * 2000 + "\n{ head { number } }")
    assert refused["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert "PYLON_MAX_DOCUMENT_BYTES" in refused["errors"][0]["message"]
    # Bytes, not characters: 300 four-byte characters are 1200 bytes.
    wide = await run(settings, "#" + "\U0001f600" * 300 + "\n{ head { number } }")
    assert wide["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert (await run(settings, "{ head { number } }"))["errors"] == []


class ColdReader(FakeReader):
    """A reader whose cache holds only the head."""

    def holds(self, number: int) -> bool:
        return self.head is not None and number == self.head.number


async def cost_of(
    settings: Settings, document: str, roles: frozenset[Role] = frozenset()
) -> tuple[dict, dict]:
    schema = create_schema(settings)
    context = Context(settings=settings, reader=ColdReader(), request_id="r", roles=roles)
    result = await schema.execute(document, context_value=context)
    return (
        {"data": result.data, "errors": [e.formatted for e in result.errors or []]},
        result.extensions or {},
    )


async def test_the_cost_of_a_query_is_estimated_and_returned() -> None:
    settings = make_settings(cold_block_cost=1000)
    answer, extensions = await cost_of(settings, "{ metagraph { neurons { uid hotkey } } }")
    assert answer["errors"] == []
    # metagraph + neurons + 1024 x (uid + hotkey), at the (cached) head.
    assert extensions["cost"] == {"estimated": 2 + 1024 * 2}
    _, paged = await cost_of(settings, "{ metagraph { neurons(first: 10) { uid } } }")
    assert paged["cost"]["estimated"] == 2 + 10
    # A list is counted by its type, not its name: `weights` (one epoch's) holds the list.
    _, weights = await cost_of(settings, "{ weights { epoch { start } weights { hotkey } } }")
    assert weights["cost"]["estimated"] == 1 + (2 + 1 + 1024 * 1)
    _, cold = await cost_of(settings, "{ a: metagraph(block: 1001) { block { number } } }")
    assert cold["cost"]["estimated"] == 3 + 1000  # one block the cache does not hold


async def test_a_query_over_the_budget_is_refused_before_it_runs() -> None:
    settings = make_settings(cold_block_cost=20_000, max_cost_anonymous=100_000)
    aliases = " ".join(
        f"m{n}: metagraph(block: {1001 + n}) {{ neurons {{ uid stake }} }}" for n in range(5)
    )
    answer, extensions = await cost_of(settings, "{ " + aliases + " }")
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["budget"] == 100_000
    assert error["extensions"]["cost"] == 5 * (2 + 1024 * 2) + 5 * 20_000
    assert extensions["cost"]["estimated"] == error["extensions"]["cost"]
    # A token buys its role's budget.
    allowed, _ = await cost_of(settings, "{ " + aliases + " }", frozenset({Role.READER}))
    assert allowed["errors"] == []
    tight = make_settings(
        cold_block_cost=20_000, max_cost_anonymous=100_000, max_cost_reader=100_000
    )
    refused, _ = await cost_of(tight, "{ " + aliases + " }", frozenset({Role.READER}))
    assert refused["errors"][0]["extensions"]["budget"] == 100_000
    both = frozenset({Role.READER, Role.OWNER})  # the owner's default budget is the larger
    assert (await cost_of(tight, "{ " + aliases + " }", both))[0]["errors"] == []


async def test_long_lists_and_long_addresses_are_refused_before_they_are_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[str] = []
    original = validation.is_valid_ss58_address

    def spy(address: str, *args: Any, **kwargs: Any) -> bool:
        decoded.append(address)
        return original(address, *args, **kwargs)

    monkeypatch.setattr(validation, "is_valid_ss58_address", spy)
    settings = make_settings(max_page_size=6)
    many = ", ".join(['"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"'] * 7)
    refused = await run(
        settings, f"{{ metagraph {{ neurons(where: {{hotkeys: [{many}]}}) {{ uid }} }} }}"
    )
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "at most 6 items" in refused["errors"][0]["message"]
    assert decoded == []  # the list's length was judged before any of its items
    long = await run(settings, '{ neuron(hotkey: "' + "5" * 40_000 + '") { uid } }')
    assert long["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert decoded == []  # base58-decoding 40,000 characters took 3.3 s
