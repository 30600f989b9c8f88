"""Follower against a scripted fake node: order, gaps, warm-up, drops, polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pylon_gql import metrics
from pylon_gql.chain.errors import ChainUnavailable
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub, Subscription
from pylon_gql.settings import Settings

from .fakes import FakeChain, block_hash, eventually, ref


@pytest.fixture
async def node() -> AsyncIterator[tuple[FakeChain, ChainReader, EventHub, Follower]]:
    chain = FakeChain(head=10)
    reader = ChainReader(chain, Settings(netuid=1))  # type: ignore[arg-type]
    hub = EventHub()
    follower = Follower(chain, reader, hub, min_backoff=0.01, poll_interval=0.01)
    yield chain, reader, hub, follower
    await follower.stop()


async def numbers(events: Subscription, count: int) -> list[int]:
    """The next `count` announced block numbers (fails after 5 s without them)."""
    async with asyncio.timeout(5):
        return [(await anext(events)).ref.number for _ in range(count)]


async def test_first_head_is_announced(node) -> None:
    chain, reader, hub, follower = node
    events = hub.subscribe()
    assert follower.state == "stopped" and follower.head is None

    await follower.start()
    await chain.announce(10)
    head = await follower.wait_for_head(timeout=5)

    assert head == ref(10)
    assert reader.head == ref(10)
    assert follower.state == "following"
    assert follower.head_received_at is not None
    assert metrics.HEAD_BLOCK._value.get() == 10
    assert await numbers(events, 1) == [10]


async def test_skipped_blocks_are_announced_in_order(node) -> None:
    chain, reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()

    await chain.announce(10)
    await chain.announce(13)
    await chain.announce(13)  # a repeat is not announced again
    await chain.announce(14)

    assert await numbers(events, 5) == [10, 11, 12, 13, 14]
    assert reader.head == ref(14)


async def test_the_cache_is_warm_before_a_block_is_announced(node) -> None:
    chain, reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()

    await chain.announce(10)
    await chain.announce(11)
    for number in await numbers(events, 2):
        calls_before = chain.calls[("metagraph", block_hash(number))]
        await reader.metagraph(ref(number))
        await reader.hyperparameters(ref(number))
        assert calls_before == 1
        assert chain.calls[("metagraph", block_hash(number))] == 1
        assert chain.calls[("hyperparameters", block_hash(number))] == 1


async def test_it_resubscribes_after_the_connection_drops(node) -> None:
    chain, _reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()
    await chain.announce(10)
    assert await numbers(events, 1) == [10]

    await chain.drop(ChainUnavailable("connection closed"))
    await eventually(lambda: len(chain.subscriptions) == 2)
    await chain.announce(12)

    assert await numbers(events, 2) == [11, 12]
    assert follower.restarts == 1
    assert follower.last_error is not None and "connection closed" in follower.last_error
    assert follower.state == "following"


async def test_it_survives_unexpected_errors(node) -> None:
    chain, _reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()
    await chain.announce(10)
    assert await numbers(events, 1) == [10]

    chain.failures.append(RuntimeError("bug in a decoder"))
    await chain.announce(11)  # its block_hash call fails
    await eventually(lambda: len(chain.subscriptions) == 2)
    await chain.announce(12)

    assert await numbers(events, 2) == [11, 12]
    assert follower.last_error == "RuntimeError: bug in a decoder"


async def test_it_polls_when_the_node_cannot_subscribe(node) -> None:
    chain, _reader, hub, follower = node
    chain.can_subscribe = False
    events = hub.subscribe()

    await follower.start()
    assert await numbers(events, 1) == [10]
    assert follower.state == "polling"
    chain.head = 12

    assert await numbers(events, 2) == [11, 12]


async def test_a_stalled_subscription_is_replaced() -> None:
    chain = FakeChain(head=10)
    reader = ChainReader(chain, Settings(netuid=1))  # type: ignore[arg-type]
    hub = EventHub()
    follower = Follower(chain, reader, hub, min_backoff=0.01, stall_timeout=0.05)
    await follower.start()
    try:
        await eventually(lambda: len(chain.subscriptions) >= 2)
        assert follower.last_error is not None and "resubscribing" in follower.last_error
    finally:
        await follower.stop()
    assert follower.state == "stopped"


async def test_heads_are_announced_when_the_served_subnet_does_not_exist(node) -> None:
    chain, _reader, hub, follower = node
    chain.netuids = {2}  # the follower warms subnet 1
    events = hub.subscribe()
    await follower.start()

    await chain.announce(10)
    await chain.announce(11)

    assert await numbers(events, 2) == [10, 11]
    assert follower.restarts == 0
