"""The follower on a real websocket: heads, warm-up, a dropped connection, polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from pylon_gql import metrics
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub, NewBlock, Subscription
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import simnet_config
from .fakes import eventually


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
        assert len(metagraph.neurons) == 1024 and hyperparameters.tempo == 360


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
