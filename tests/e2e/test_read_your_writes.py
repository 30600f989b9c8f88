"""Read-your-writes with the real client (pylon-gql-client over HTTP, the app on uvicorn, the
simnet over a websocket): a chain write answers with its block, and a read right after it, at
that block or at the head, sees the write. The server's head used to be a block behind the
node's when the write was finalized, so the read answered the old value."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pylon_gql_client import AsyncPylonClient

from pylon_gql.events import EventHub, HeadServed, NewBlock
from pylon_gql.models import BlockRef
from pylon_gql.writes import wait_until_served

from .conftest import PATIENCE
from .test_weights import OWNER, VALIDATOR, serve


async def test_a_commitment_is_read_back_right_after_it_is_set(tmp_path: Path) -> None:
    async with (
        serve(tmp_path) as server,
        AsyncPylonClient(server.url, VALIDATOR, timeout=PATIENCE) as validator,
    ):
        for n in range(4):
            text = f"read your writes #{n}"
            done = await validator.set_commitment(text)
            assert done.commitment is not None and done.commitment.text == text
            hotkey = done.commitment.hotkey
            # at once, no waiting: at the head, then at the write's block
            at_head = await validator.commitment(hotkey)
            at_block = await validator.commitment(hotkey, block=done.block.number)
            assert at_head is not None and at_head.text == text, (done.block, at_head)
            assert at_head.block.number >= done.block.number
            assert at_block is not None and at_block.text == text
            assert at_block.block == done.block


async def test_a_hyperparameter_is_read_back_right_after_it_is_set(tmp_path: Path) -> None:
    async with (
        serve(tmp_path) as server,
        AsyncPylonClient(server.url, OWNER, timeout=PATIENCE) as owner,
    ):
        for rate_limit in (7, 8, 9):
            done = await owner.set_hyperparameter("weights_set_rate_limit", rate_limit)
            assert done.value == rate_limit
            now = await owner.hyperparameters()
            assert now.weights_rate_limit == rate_limit, (done.block, now.block)
            assert now.block.number >= done.block.number


class _Bus:
    """An event bus whose head moves only when told: the wait's own behaviour, alone."""

    def __init__(self) -> None:
        self.hub = EventHub()
        self.head: BlockRef | None = BlockRef(9, "0x09")

    def serve(self, number: int) -> None:
        self.head = BlockRef(number, f"0x{number:02x}")
        self.hub.publish(HeadServed(self.head))


async def test_the_wait_ends_when_the_block_is_served_or_at_its_deadline() -> None:
    bus = _Bus()
    assert await wait_until_served(9, lambda: bus.head, bus.hub, timeout=PATIENCE)

    waiting = asyncio.create_task(wait_until_served(11, lambda: bus.head, bus.hub, PATIENCE))
    await asyncio.sleep(0)
    bus.hub.publish(NewBlock(BlockRef(10, "0x0a")))  # a new block, not yet served: waits on
    bus.serve(10)
    await asyncio.sleep(0.05)
    assert not waiting.done()
    bus.serve(11)
    assert await waiting

    # never served: answers at the deadline (the answer still says its block)
    assert not await wait_until_served(12, lambda: bus.head, bus.hub, timeout=0.05)
