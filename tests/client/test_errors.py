"""`pylon_gql_client.errors`: the server's codes as exception classes (what is retried is
`test_transport.py`'s)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    BlockInFuture,
    BlockPruned,
    InvalidInput,
    NoEpochs,
    NotFound,
    PermissionDenied,
    PylonError,
    PylonTimeout,
    QueryTooComplex,
    RateLimited,
    ServerError,
)
from pylon_gql_client.errors import ERROR_CLASSES

from pylon_gql.schema.errors import ErrorCode

from .conftest import Proxy, graphql_error

RETRIES = 3


def client_of(url: str, **options: float) -> AsyncPylonClient:
    return AsyncPylonClient(url, retries=RETRIES, backoff=0.01, max_backoff=0.02, **options)  # type: ignore[arg-type]


# --- codes the server gives today, from the server itself


async def test_bad_input(client: AsyncPylonClient) -> None:
    before = client.attempts
    with pytest.raises(InvalidInput) as caught:
        await client.neuron(70000)
    assert caught.value.code == "BAD_USER_INPUT"
    assert "70000" in caught.value.message
    assert caught.value.path == ("neuron",)
    assert client.attempts == before + 1  # never retried


async def test_block_in_future(client: AsyncPylonClient) -> None:
    head = await client.head()
    with pytest.raises(BlockInFuture) as caught:
        await client.metagraph(head.number + 1000)
    assert caught.value.code == "BLOCK_IN_FUTURE"
    assert caught.value.head is not None and caught.value.head >= head.number
    assert f"block {head.number + 1000} is in the future" in caught.value.message
    assert isinstance(caught.value, InvalidInput)


async def test_not_found(client: AsyncPylonClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.block(1)
    assert caught.value.code == "NOT_FOUND"
    assert "knows no block 1" in caught.value.message


async def test_an_invalid_custom_document(client: AsyncPylonClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        await client.execute("{ head { numbr } }")
    assert caught.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert "numbr" in caught.value.message


async def test_a_document_that_does_not_parse_is_not_sent(client: AsyncPylonClient) -> None:
    before = client.attempts
    with pytest.raises(InvalidInput) as caught:
        await client.execute("{ head { ")
    assert caught.value.code == "GRAPHQL_PARSE_FAILED"
    assert client.attempts == before


# --- codes the server may give (answered by a proxy in its place)


async def test_a_permission_error_is_not_retried(proxy: Proxy) -> None:
    message = "only the validator's service may set weights"
    proxy.answer_next(200, graphql_error("FORBIDDEN", message), times=5)
    async with client_of(proxy.url) as client:
        with pytest.raises(PermissionDenied) as caught:
            await client.head()
    assert caught.value.message == message
    assert proxy.requests == 1


async def test_a_403_is_a_permission_error(proxy: Proxy) -> None:
    proxy.answer_next(403, times=5)
    async with client_of(proxy.url) as client:
        with pytest.raises(PermissionDenied):
            await client.head()
    assert proxy.requests == 1


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("BAD_USER_INPUT", InvalidInput),
        ("GRAPHQL_VALIDATION_FAILED", InvalidInput),
        ("BLOCK_IN_FUTURE", BlockInFuture),
        ("NOT_FOUND", NotFound),
        ("BLOCK_PRUNED", BlockPruned),
        ("NO_EPOCHS", NoEpochs),
        ("FORBIDDEN", PermissionDenied),
        ("RATE_LIMITED", RateLimited),
        ("TOO_MANY_SUBSCRIPTIONS", RateLimited),
        ("QUERY_TOO_COMPLEX", QueryTooComplex),
        ("BAD_REQUEST", InvalidInput),
        ("REQUEST_TOO_LARGE", InvalidInput),
        ("INTERNAL_SERVER_ERROR", ServerError),
        ("SOMETHING_NEW", PylonError),
    ],
)
async def test_each_code_is_its_class_and_is_not_retried(
    proxy: Proxy, code: str, kind: type[PylonError]
) -> None:
    proxy.answer_next(200, graphql_error(code, f"the server says {code}"), times=5)
    async with client_of(proxy.url) as client:
        with pytest.raises(PylonError) as caught:
            await client.epoch()
    assert type(caught.value) is kind
    assert caught.value.code == code
    assert caught.value.message == f"the server says {code}"
    assert proxy.requests == 1


async def test_rate_limited_says_when_to_come_back(proxy: Proxy) -> None:
    proxy.answer_next(200, graphql_error("RATE_LIMITED", "weights set too soon", retryAfter=36))
    async with client_of(proxy.url) as client:
        with pytest.raises(RateLimited) as caught:
            await client.head()
    assert caught.value.retry_after == 36.0


async def test_a_server_bug_carries_its_request_id(proxy: Proxy) -> None:
    answer = graphql_error("INTERNAL_SERVER_ERROR", "Internal server error", requestId="abc123")
    proxy.answer_next(200, answer)
    async with client_of(proxy.url) as client:
        with pytest.raises(ServerError) as caught:
            await client.head()
    assert caught.value.request_id == "abc123"


async def test_a_query_too_complex_says_by_how_much(proxy: Proxy) -> None:
    proxy.answer_next(200, graphql_error("QUERY_TOO_COMPLEX", "too much", cost=5000, budget=1000))
    async with client_of(proxy.url) as client:
        with pytest.raises(QueryTooComplex) as caught:
            await client.metagraph()
    assert (caught.value.cost, caught.value.budget) == (5000, 1000)
    assert isinstance(caught.value, InvalidInput)


async def test_the_servers_own_timeout_is_retried(proxy: Proxy) -> None:
    proxy.answer_next(504, graphql_error("TIMEOUT", "the request ran longer than 30 s"))
    async with client_of(proxy.url) as client:
        head = await client.head()
    assert head.number >= 0
    assert proxy.requests == 2
    proxy.answer_next(504, graphql_error("TIMEOUT", "the request ran longer than 30 s"), times=5)
    async with client_of(proxy.url) as client:
        with pytest.raises(PylonTimeout) as caught:
            await client.head()
    assert caught.value.code == "TIMEOUT"


# --- the server's codes, the client's classes and the README's table agree

SERVER_CODES = {code.value for code in ErrorCode}
README = Path(__file__).parents[2] / "client" / "README.md"


def test_every_code_the_server_sends_has_its_class() -> None:
    assert set(ERROR_CLASSES) == SERVER_CODES
    for code, cls in ERROR_CLASSES.items():
        assert cls.default_code in SERVER_CODES, cls  # a class says a code the server sends
        assert issubclass(cls, PylonError) and cls is not PylonError, code


def test_the_readme_error_table_is_the_clients_mapping() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Errors") :]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed: dict[str, str] = {}
    for row in rows:
        kind, codes, _ = row.strip("|").split("|")
        [cls] = re.findall(r"^\s*`(\w+)`", kind)
        for code in re.findall(r"`([A-Z][A-Z_]+)`", codes):
            listed[code] = cls
    assert {code: cls.__name__ for code, cls in ERROR_CLASSES.items()} == listed
