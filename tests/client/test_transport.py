"""`pylon_gql_client.transport`: what a call retries (an unavailable chain, HTTP 503, a server
that is not there) and the timeout of a call, retries included. That other codes are not
retried is `test_errors.py`'s."""

from __future__ import annotations

import socket

import pytest
from pylon_gql_client import AsyncPylonClient, PylonTimeout, Unavailable

from .conftest import Proxy, Server

RETRIES = 3


def client_of(url: str, **options: float) -> AsyncPylonClient:
    return AsyncPylonClient(url, retries=RETRIES, backoff=0.01, max_backoff=0.02, **options)  # type: ignore[arg-type]


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
