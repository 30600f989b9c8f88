"""`subscribe_blocks` against a small graphql-transport-ws server that a test can break."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from pylon_gql_client import AsyncPylonClient, Block, BlockInFuture, Unavailable

from .blockserver import SUBPROTOCOL, BlockServer, block_json, block_server
from .waiting import eventually

PATIENCE = 30.0


@pytest.fixture
async def blocks() -> AsyncIterator[BlockServer]:
    async with block_server() as server:
        yield server


def client_of(server: BlockServer, **options: float) -> AsyncPylonClient:
    return AsyncPylonClient(server.url, backoff=0.01, max_backoff=0.05, **options)  # type: ignore[arg-type]


async def take(stream: AsyncIterator[Block], count: int) -> list[Block]:
    async with asyncio.timeout(PATIENCE):
        return [await anext(stream) for _ in range(count)]


async def test_blocks_from_a_given_block_then_new_ones(blocks: BlockServer) -> None:
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=95)) as stream,
    ):
        received = await take(stream, 6)
        await blocks.produce(2)
        received += await take(stream, 2)
    assert [b.number for b in received] == list(range(95, 103))
    assert received[0] == Block.model_validate(block_json(95))


async def test_every_block_once_across_dropped_connections(blocks: BlockServer) -> None:
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=98)) as stream,
    ):
        seen = await take(stream, 3)  # 98, 99, 100
        for _ in range(3):
            await blocks.drop()
            await blocks.produce(2)  # made while the client is away
            seen += await take(stream, 2)
        await blocks.produce(1)
        seen += await take(stream, 1)
    assert [b.number for b in seen] == list(range(98, 108))
    # each reconnection asked for the block after the last one it had
    assert blocks.subscriptions == [98, 101, 103, 105]
    assert blocks.http_blocks == []


async def test_blocks_resent_by_the_server_are_yielded_once(blocks: BlockServer) -> None:
    blocks.replay = 3  # the server resumes three blocks early
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=99)) as stream,
    ):
        seen = await take(stream, 2)
        await blocks.drop()
        await blocks.produce(2)
        seen += await take(stream, 2)
    assert [b.number for b in seen] == [99, 100, 101, 102]


async def test_a_gap_after_reconnecting_is_filled_over_http(blocks: BlockServer) -> None:
    blocks.ignore_from_block = True  # a server that only streams new blocks
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks()) as stream,
    ):
        first = asyncio.create_task(anext(stream))
        await eventually(lambda: bool(blocks.subscriptions))
        await blocks.produce(1)
        seen = [await first]
        await blocks.drop()
        await blocks.produce(3)  # 102..104 happen while disconnected
        # the stream reconnects when it is read: read on, in the background
        rest = asyncio.create_task(take(stream, 4))
        await eventually(lambda: len(blocks.subscriptions) == 2)
        await blocks.produce(1)  # 105 is the first the new connection streams
        seen += await rest
    assert [b.number for b in seen] == [101, 102, 103, 104, 105]
    assert blocks.http_blocks == [102, 103, 104]


async def test_blocks_too_old_to_replay_are_read_over_http(blocks: BlockServer) -> None:
    blocks.oldest = 99
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=97)) as stream,
    ):
        rest = asyncio.create_task(take(stream, 5))
        await eventually(lambda: len(blocks.subscriptions) == 2)
        await blocks.produce(1)
        seen = await rest
    assert [b.number for b in seen] == [97, 98, 99, 100, 101]
    assert blocks.subscriptions == [97, None]
    assert blocks.http_blocks == [97, 98, 99, 100]


async def test_only_graphql_transport_ws_is_offered(blocks: BlockServer) -> None:
    async with (
        client_of(blocks) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=100)) as stream,
    ):
        await take(stream, 1)
    assert blocks.offered_subprotocols == [SUBPROTOCOL]


async def test_pings_both_ways(blocks: BlockServer) -> None:
    blocks.ping_first = True
    async with (
        client_of(blocks, ping_interval=0.05) as client,
        contextlib.aclosing(client.subscribe_blocks(from_block=100)) as stream,
    ):
        await take(stream, 1)
        await eventually(lambda: blocks.pings_received >= 2 and blocks.pongs_received >= 1)
    assert blocks.pongs_received == 1  # the client answered the server's ping
    assert blocks.pings_received >= 2  # and pinged on its own


async def test_a_refused_from_block_is_raised_not_retried(blocks: BlockServer) -> None:
    async with client_of(blocks) as client:
        with pytest.raises(BlockInFuture) as caught:
            await take(client.subscribe_blocks(from_block=500), 1)
    assert caught.value.head == 100
    assert blocks.subscriptions == [500]


async def test_gives_up_after_max_reconnects() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port
    async with AsyncPylonClient(f"http://127.0.0.1:{port}", backoff=0.01) as client:
        with pytest.raises(Unavailable):
            await take(client.subscribe_blocks(from_block=1, max_reconnects=2), 1)
