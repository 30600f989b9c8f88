"""Follower: against a scripted fake node (order, gaps, warm-up, drops, polling), then on a real
websocket against the simulated node (heads, warm-up, a dropped connection, polling)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from pylon_gql import metrics, supervise
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import ChainUnavailable
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub, NewBlock, Subscription
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import simnet_config
from .fakes import FakeChain, block_hash, eventually, ref

# --- Follower against a scripted fake node: order, gaps, warm-up, drops, polling.


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


async def test_a_node_restored_from_an_earlier_state_resets_the_head(node) -> None:
    chain, reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()
    await chain.announce(10)
    await chain.announce(12)
    assert await numbers(events, 3) == [10, 11, 12]

    await chain.drop(ChainUnavailable("connection closed"))  # the node restarts ...
    await eventually(lambda: len(chain.subscriptions) == 2)
    await chain.announce(5)  # ... from an earlier state: followed at once, not at block 13

    assert await numbers(events, 1) == [5]
    assert reader.head == ref(5) and follower.head == ref(5)
    status = follower.status()
    assert status["resets"] == 1
    assert status["lastReset"]["from"] == {"number": 12, "hash": block_hash(12)}
    assert status["lastReset"]["to"] == {"number": 5, "hash": block_hash(5)}
    await chain.announce(6)
    assert await numbers(events, 1) == [6]


async def test_another_chain_behind_the_url_resets_the_head(node, monkeypatch) -> None:
    chain, reader, hub, follower = node
    events = hub.subscribe()
    await follower.start()
    await chain.announce(12)
    assert await numbers(events, 1) == [12]

    # After the drop, the node knows another block 12: a different chain, now at 13.
    hash_of = chain.block_hash

    async def another_chain(number: int) -> str | None:
        return "0x" + "ee" * 32 if number == 12 else await hash_of(number)

    monkeypatch.setattr(chain, "block_hash", another_chain)
    await chain.drop(ChainUnavailable("connection closed"))
    await eventually(lambda: len(chain.subscriptions) == 2)
    await chain.announce(13)

    assert await numbers(events, 1) == [13]
    assert follower.status()["resets"] == 1
    assert reader.head == ref(13)


async def test_drops_between_two_blocks_do_not_add_up_to_a_long_backoff(
    node, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, _reader, hub, follower = node
    waits: list[int] = []
    real_backoff = supervise.backoff

    def spy(failures: int, min_backoff: float, max_backoff: float) -> float:
        waits.append(failures)
        return real_backoff(failures, min_backoff, max_backoff)

    monkeypatch.setattr(supervise, "backoff", spy)
    events = hub.subscribe()
    await follower.start()
    await chain.announce(10)
    assert await numbers(events, 1) == [10]

    for drops in range(1, 6):  # no new block meanwhile: nothing new to announce
        await chain.drop(ChainUnavailable("connection closed"))
        await eventually(lambda drops=drops: len(chain.subscriptions) == drops + 1)
        await chain.announce(10)  # a new subscription starts with the node's finalized head
        await eventually(lambda: follower.status()["unreachableSeconds"] is None)

    # Each new subscription answered: every drop was the first failure in a row.
    assert waits == [1] * 5
    assert follower.status()["nodeReachable"] is True


async def test_a_connection_that_opens_cuts_the_backoff_short(node) -> None:
    chain, _reader, hub, _ = node
    follower = Follower(chain, _reader, hub, min_backoff=600, max_backoff=600)
    events = hub.subscribe()
    await follower.start()
    try:
        await chain.announce(10)
        assert await numbers(events, 1) == [10]
        await chain.drop(ChainUnavailable("connection closed"))
        await eventually(lambda: follower.state == "reconnecting")

        chain.reconnected()  # a query's read opened a connection: the node is back
        await eventually(lambda: len(chain.subscriptions) == 2)  # not in 600 s
        await chain.announce(11)
        assert await numbers(events, 1) == [11]
    finally:
        await follower.stop()


async def test_a_read_that_finds_the_head_gone_cuts_the_backoff_short(node) -> None:
    chain, reader, hub, _ = node
    follower = Follower(chain, reader, hub, min_backoff=600, max_backoff=600)
    events = hub.subscribe()
    await follower.start()
    try:
        await chain.announce(12)
        assert await numbers(events, 1) == [12]
        await chain.drop(ChainUnavailable("connection closed"))
        await eventually(lambda: follower.state == "reconnecting")

        chain.head = 5  # back from an earlier state: the node knows no block 12
        with pytest.raises(ChainUnavailable, match="retry"):
            await reader.commitments(ref(12))  # not BlockNotFound: the server's own head
        await eventually(lambda: len(chain.subscriptions) == 2)
        await chain.announce(5)
        assert await numbers(events, 1) == [5]
        assert follower.status()["resets"] == 1
    finally:
        await follower.stop()


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


# --- The follower on a real websocket: heads, warm-up, a dropped connection, polling.


@dataclass
class Stack:
    simnet: Simnet
    client: ChainClient
    reader: ChainReader
    hub: EventHub
    follower: Follower


@pytest.fixture
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """A fresh simnet (finality two blocks behind the best head) with the chain layer on it."""
    faults = getattr(request, "param", {})
    async with Simnet(simnet_config(finality_lag=2)) as simnet:
        if faults:
            simnet.set_faults(**faults)
        async with ChainClient(simnet.url, timeout=10) as client:
            reader = ChainReader(client, Settings(netuid=1))  # type: ignore[call-arg]
            hub = EventHub()
            follower = Follower(client, reader, hub, min_backoff=0.05, poll_interval=0.05)
            try:
                yield Stack(simnet, client, reader, hub, follower)
            finally:
                await follower.stop()


async def next_blocks(events: Subscription, count: int) -> list[NewBlock]:
    async with asyncio.timeout(20):
        return [await anext(events) for _ in range(count)]


async def finalize(simnet: Simnet, count: int) -> None:
    """Produce blocks until `count` more are final (the best head runs two blocks ahead)."""
    target = simnet.finalized_number + count
    while simnet.finalized_number < target:
        await simnet.produce_blocks(1)


def neurons_lite_calls() -> float:
    return metrics.CHAIN_CALLS.labels("neurons_lite", "ok")._value.get()


async def test_it_follows_finalized_heads_in_order(stack: Stack) -> None:
    events = stack.hub.subscribe()
    await stack.follower.start()

    head = await stack.follower.wait_for_head(timeout=20)
    assert head.number == stack.simnet.finalized_number
    assert head.hash == stack.simnet.finalized_hash
    assert stack.follower.state == "following"
    await finalize(stack.simnet, 3)
    blocks = [event.ref for event in await next_blocks(events, 4)]

    assert stack.simnet.head_number == stack.simnet.finalized_number + 2
    assert [b.number for b in blocks] == [head.number + i for i in range(4)]
    assert stack.reader.head == blocks[-1] == stack.follower.head
    assert blocks[-1].hash == stack.simnet.finalized_hash
    for block in blocks:
        assert await stack.client.block_hash(block.number) == block.hash


async def test_a_new_block_is_decoded_before_it_is_announced(stack: Stack) -> None:
    events = stack.hub.subscribe()
    await stack.follower.start()
    await stack.follower.wait_for_head(timeout=20)
    await next_blocks(events, 1)

    await finalize(stack.simnet, 2)
    for event in await next_blocks(events, 2):
        before = neurons_lite_calls()
        metagraph = await stack.reader.metagraph(event.ref)
        hyperparameters = await stack.reader.hyperparameters(event.ref)

        assert neurons_lite_calls() == before  # served from the cache, warmed by the follower
        assert len(metagraph.neurons) == 1024 and hyperparameters.tempo == 99


async def test_it_resubscribes_after_the_node_drops_the_connection(stack: Stack) -> None:
    events = stack.hub.subscribe()
    await stack.follower.start()
    head = await stack.follower.wait_for_head(timeout=20)
    await next_blocks(events, 1)

    stack.simnet.set_faults(drop_once=True)
    await finalize(stack.simnet, 1)  # while nobody listens
    await eventually(
        lambda: stack.follower.restarts > 0 and stack.follower.state == "following", timeout=20
    )
    await finalize(stack.simnet, 2)
    numbers = [event.ref.number for event in await next_blocks(events, 3)]

    assert numbers == [head.number + 1, head.number + 2, head.number + 3]
    assert stack.follower.restarts >= 1
    assert stack.follower.last_error is not None


@pytest.mark.parametrize(
    "stack",
    [
        {
            "error_rate": 1.0,
            "error_methods": ["chain_subscribeFinalizedHeads"],
            "error": {"code": -32601, "message": "Method not found"},
        }
    ],
    indirect=True,
)
async def test_it_polls_a_node_that_cannot_subscribe(stack: Stack) -> None:
    events = stack.hub.subscribe()
    await stack.follower.start()
    head = await stack.follower.wait_for_head(timeout=20)

    assert stack.follower.state == "polling"
    await finalize(stack.simnet, 2)
    numbers = [event.ref.number for event in await next_blocks(events, 3)]

    assert numbers == [head.number, head.number + 1, head.number + 2]
