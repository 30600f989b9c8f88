"""What the chain layer does when the node misbehaves (the simnet's fault modes)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain import client as client_module
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import ChainUnavailable
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import simnet_config
from .fakes import eventually
from .fixtures import SNAPSHOT_HASH, SNAPSHOT_NUMBER


@pytest.fixture
async def simnet() -> AsyncIterator[Simnet]:
    """Its own node: faults hit every connection to it."""
    async with Simnet(simnet_config()) as simnet:
        yield simnet


async def test_a_call_in_flight_fails_when_the_connection_drops(simnet: Simnet) -> None:
    async with ChainClient(simnet.url, timeout=60) as client:
        simnet.set_faults(stall=True, stall_methods=["chain_getBlockHash"])
        pending = asyncio.create_task(client.block_hash(SNAPSHOT_NUMBER))
        await asyncio.sleep(0.1)
        assert not pending.done()

        simnet.set_faults(drop_once=True)  # also turns the stall off
        # Well before the client's own 60 s timeout: the drop itself fails the call.
        with pytest.raises(ChainUnavailable):
            await asyncio.wait_for(pending, timeout=10)
        assert await client.block_hash(SNAPSHOT_NUMBER) == SNAPSHOT_HASH  # reconnected


async def test_a_node_that_does_not_answer_is_unavailable_and_nothing_is_cached(
    simnet: Simnet,
) -> None:
    async with ChainClient(simnet.url, timeout=0.5) as client:
        reader = ChainReader(client, Settings(netuid=1))  # type: ignore[call-arg]
        ref = await reader.resolve(number=SNAPSHOT_NUMBER)
        simnet.set_faults(stall=True, stall_methods=["state_call"])

        with pytest.raises(ChainUnavailable, match="did not answer"):
            await reader.hyperparameters(ref)
        simnet.set_faults()
        hyperparameters = await reader.hyperparameters(ref)

    assert hyperparameters.tempo == 360


async def test_a_busy_node_is_unavailable(simnet: Simnet) -> None:
    async with ChainClient(simnet.url) as client:
        simnet.set_faults(error_rate=1.0, error_methods=["chain_getBlockHash"])
        with pytest.raises(ChainUnavailable, match="busy"):
            await client.block_hash(SNAPSHOT_NUMBER)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_follower_waits_for_a_node_that_is_down_at_start() -> None:
    port = free_port()
    client = ChainClient(f"ws://127.0.0.1:{port}", timeout=5)
    reader = ChainReader(client, Settings(netuid=1))  # type: ignore[call-arg]
    follower = Follower(client, reader, EventHub(), min_backoff=0.05, max_backoff=0.2)
    await follower.start()
    try:
        await eventually(lambda: follower.restarts >= 2, timeout=20)
        assert follower.state == "reconnecting"
        assert follower.head is None
        assert follower.last_error is not None and "ChainUnavailable" in follower.last_error

        async with Simnet(simnet_config(port=port)) as simnet:
            head = await follower.wait_for_head(timeout=30)
            assert head.number == simnet.finalized_number
            assert follower.state == "following"
    finally:
        await follower.stop()
        await client.close()


async def test_a_failed_first_metadata_load_is_retried(
    simnet: Simnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # turbobt marks its runtime as loaded before the metadata arrives; the client undoes that.
    monkeypatch.setattr(client_module, "_RUNTIMES", {})  # no decode to borrow: load it here
    simnet.set_faults(stall=True, stall_methods=["state_call"])
    client = ChainClient(simnet.url, timeout=0.5)
    try:
        with pytest.raises(ChainUnavailable):
            await client.connect()
        simnet.set_faults()
        await client.connect()
        subnet = await client.subnet(1, await client.finalized_head())
    finally:
        await client.close()

    assert subnet.name == "Apex"
