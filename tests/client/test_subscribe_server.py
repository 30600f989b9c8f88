"""`subscribe_blocks` against the real server: every block once, in order, across a restart."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from pylon_gql_client import AsyncPylonClient, Block, BlockInFuture

from .conftest import Server
from .waiting import PATIENCE


async def take(stream: AsyncIterator[Block], count: int) -> list[Block]:
    async with asyncio.timeout(PATIENCE):
        return [await anext(stream) for _ in range(count)]


async def test_every_block_once_in_order_across_a_server_restart(server: Server) -> None:
    start = await server.produce_blocks(3) - 2
    async with AsyncPylonClient(server.url, backoff=0.05, max_backoff=0.5) as client:
        async with contextlib.aclosing(client.subscribe_blocks(from_block=start)) as stream:
            seen = await take(stream, 3)  # replayed: start .. head
            await server.produce_blocks(2)
            seen += await take(stream, 2)  # live
            await server.stop()  # closes every websocket
            await server.produce_blocks(3)  # while no server answers
            await server.start()  # same port, same chain
            seen += await take(stream, 3)  # resumed from the block after the last one seen
            await server.produce_blocks(2)
            seen += await take(stream, 2)
        numbers = [block.number for block in seen]
        assert numbers == list(range(start, start + 10))
        # and they are the chain's blocks, not just the right numbers
        for block in (seen[0], seen[5], seen[9]):
            assert await client.block(block.number) == block


async def test_from_the_next_block_when_none_is_given(server: Server) -> None:
    async with AsyncPylonClient(server.url) as client:
        head = await client.head()
        async with contextlib.aclosing(client.subscribe_blocks()) as stream:
            pending = asyncio.create_task(take(stream, 2))
            # the first block the stream yields is one made after it subscribed
            await asyncio.sleep(0)
            while not pending.done() and (await client.head()).number < head.number + 40:
                await server.produce_blocks(1)
                await asyncio.sleep(0.05)
            seen = await pending
    assert seen[0].number > head.number
    assert seen[1].number == seen[0].number + 1


async def test_a_future_from_block_is_refused(server: Server) -> None:
    async with AsyncPylonClient(server.url) as client:
        head = await client.head()
        with pytest.raises(BlockInFuture) as caught:
            await take(client.subscribe_blocks(from_block=head.number + 50), 1)
    assert caught.value.head == head.number
