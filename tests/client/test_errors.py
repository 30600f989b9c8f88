"""Errors by kind: the server's codes as exception classes, what is retried and what is not."""

from __future__ import annotations

import socket

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    BlockInFuture,
    BlockPruned,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PylonError,
    PylonTimeout,
    RateLimited,
    ServerError,
    Unavailable,
)

from .conftest import Proxy, Server, graphql_error

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


async def test_an_unavailable_chain_is_retried_until_it_answers(
    server: Server, proxy: Proxy
) -> None:
    block = await server.produce_blocks(1)  # a block whose commitments nobody has read
    server.simnet.set_faults(error_rate=1.0)  # the node answers "busy" to everything

    def node_recovers(request: int) -> None:
        if request == 2:
            server.simnet.set_faults()

    proxy.on_request = node_recovers
    try:
        async with client_of(proxy.url) as client:
            commitments = await client.commitments(block)
    finally:
        server.simnet.set_faults()
    assert commitments and commitments[0].block.number == block
    assert proxy.requests == 2  # the first answer was UNAVAILABLE, from the server itself


async def test_an_unavailable_chain_raises_after_the_retries(server: Server, proxy: Proxy) -> None:
    block = await server.produce_blocks(1)
    server.simnet.set_faults(error_rate=1.0)
    try:
        async with client_of(proxy.url) as client:
            with pytest.raises(Unavailable) as caught:
                await client.subnet(block)
    finally:
        server.simnet.set_faults()
    assert caught.value.code == "UNAVAILABLE"
    assert "not answering" in caught.value.message
    assert proxy.requests == 1 + RETRIES


# --- HTTP statuses and codes the server may give (answered by a proxy in its place)


async def test_a_503_is_retried(proxy: Proxy, client: AsyncPylonClient) -> None:
    proxy.answer_next(503, times=2)
    async with client_of(proxy.url) as through_proxy:
        assert await through_proxy.head() == await client.head()
        assert through_proxy.attempts == 3
    assert proxy.requests == 3
    assert proxy.forwarded == 1


async def test_503s_raise_unavailable_after_the_retries(proxy: Proxy) -> None:
    proxy.answer_next(503, times=10)
    async with client_of(proxy.url) as client:
        with pytest.raises(Unavailable) as caught:
            await client.head()
    assert caught.value.extensions["status"] == 503
    assert proxy.requests == 1 + RETRIES


async def test_a_permission_error_is_not_retried(proxy: Proxy) -> None:
    message = "only the validator's service may set weights"
    proxy.answer_next(200, graphql_error("PERMISSION_DENIED", message), times=5)
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
        ("PERMISSION_DENIED", PermissionDenied),
        ("RATE_LIMITED", RateLimited),
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


async def test_a_call_over_its_timeout(proxy: Proxy) -> None:
    proxy.hang = True
    async with client_of(proxy.url, timeout=0.3) as client:
        with pytest.raises(PylonTimeout):
            await client.head()
    assert proxy.requests == 1


async def test_execute_takes_its_own_timeout(proxy: Proxy) -> None:
    proxy.hang = True
    async with client_of(proxy.url, timeout=60.0) as client:
        with pytest.raises(PylonTimeout):
            await client.execute("{ head { number } }", timeout=0.3)


async def test_a_server_that_is_not_there() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with client_of(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(Unavailable) as caught:
            await client.head()
        assert client.attempts == 1 + RETRIES
    assert "cannot reach the server" in caught.value.message
