"""ChainClient: its reads and mapping against the real finney bytes (no node), against the
simnet, and what it does when the node misbehaves (the simnet's fault modes)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain import client as client_module
from pylon_gql.chain import deadline
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import (
    BlockNotFound,
    BlockPruned,
    ChainUnavailable,
    SubnetNotFound,
    SubscriptionUnsupported,
)
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub
from pylon_gql.models import BlockRef
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import simnet_config
from .fakes import eventually
from .fixtures import SNAPSHOT_HASH, SNAPSHOT_NUMBER, FixtureTransport, expected_neurons

SNAPSHOT = BlockRef(SNAPSHOT_NUMBER, SNAPSHOT_HASH)
PRUNED = BlockRef(SNAPSHOT_NUMBER - 1_000_000, "0x" + "ab" * 32)


@pytest.fixture(scope="module")
async def snapshot_client() -> AsyncIterator[ChainClient]:
    """A client of the finney snapshot's bytes (no node)."""
    async with ChainClient("ws://fixture", transport=FixtureTransport()) as client:
        yield client


async def test_metagraph_maps_every_neuron_of_the_snapshot(snapshot_client: ChainClient) -> None:
    metagraph = await snapshot_client.metagraph(1, SNAPSHOT)

    expected = expected_neurons()
    assert metagraph.block == SNAPSHOT
    assert [n.uid for n in metagraph.neurons] == list(range(1024))
    for neuron, raw in zip(metagraph.neurons, expected, strict=True):
        assert neuron.uid == raw["uid"]
        assert neuron.hotkey == raw["hotkey"]
        assert neuron.coldkey == raw["coldkey"]
        assert neuron.active == raw["active"]
        assert neuron.stake_rao == sum(value for _, value in raw["stake"])
        assert neuron.emission_rao == raw["emission"]
        for name in ("rank", "incentive", "consensus", "trust", "validator_trust", "dividends"):
            assert getattr(neuron, name) == raw[name] / 65535, name
        assert neuron.last_update == raw["last_update"]
        assert neuron.validator_permit == raw["validator_permit"]
        assert neuron.pruning_score == raw["pruning_score"]
        assert neuron.axon.version == raw["axon_info"]["version"]
        assert neuron.axon.block == raw["axon_info"]["block"]
        assert neuron.axon.port == raw["axon_info"]["port"]
        assert neuron.prometheus.block == raw["prometheus_info"]["block"]


async def test_metagraph_values_read_like_a_human_would(snapshot_client: ChainClient) -> None:
    metagraph = await snapshot_client.metagraph(1, SNAPSHOT)

    neuron = metagraph.neuron_by_uid(5)
    assert neuron is not None
    assert neuron.axon.ip == "159.65.176.209"  # 0x9F41B0D1 on chain
    assert metagraph.by_hotkey[neuron.hotkey] is neuron
    assert all(0.0 <= n.trust <= 1.0 for n in metagraph.neurons)
    assert any(n.validator_permit for n in metagraph.neurons)
    assert sum(n.stake for n in metagraph.neurons) > 0


async def test_block_number_and_hash_resolve_both_ways(snapshot_client: ChainClient) -> None:
    assert await snapshot_client.block_hash(SNAPSHOT_NUMBER) == SNAPSHOT_HASH
    assert await snapshot_client.block_number(SNAPSHOT_HASH) == SNAPSHOT_NUMBER
    assert await snapshot_client.block_number("0x" + "00" * 32) is None
    assert await snapshot_client.block_hash(SNAPSHOT_NUMBER + 1) is None


async def test_unknown_block_is_block_not_found(snapshot_client: ChainClient) -> None:
    with pytest.raises(BlockNotFound):
        await snapshot_client.metagraph(1, BlockRef(1, "0x" + "00" * 32))


async def test_pruned_block_without_archive_says_so() -> None:
    transport = FixtureTransport(pruned=frozenset({PRUNED.hash}))
    async with ChainClient("ws://pruned", transport=transport) as client:
        with pytest.raises(BlockPruned):
            await client.metagraph(1, PRUNED)


async def test_pruned_block_is_read_from_the_archive() -> None:
    node = FixtureTransport(pruned=frozenset({SNAPSHOT_HASH}))
    archive_node = FixtureTransport()
    archive = ChainClient("ws://archive", transport=archive_node, name="archive")
    async with ChainClient("ws://node", transport=node, archive=archive) as client:
        metagraph = await client.metagraph(1, SNAPSHOT)

    assert len(metagraph.neurons) == 1024
    assert node.calls["NeuronInfoRuntimeApi_get_neurons_lite"] == 1
    assert archive_node.calls["NeuronInfoRuntimeApi_get_neurons_lite"] == 1


async def test_a_node_without_subscriptions_says_so(snapshot_client: ChainClient) -> None:
    heads = snapshot_client.finalized_heads()
    with pytest.raises(SubscriptionUnsupported):
        await anext(heads)


async def test_clients_of_one_runtime_decode_its_metadata_once(
    snapshot_client: ChainClient,
) -> None:
    transport = FixtureTransport()
    async with ChainClient("ws://another", transport=transport) as another:
        subnet_state = await another.metagraph(1, SNAPSHOT)

    assert len(subnet_state.neurons) == 1024
    assert transport.calls["state_getRuntimeVersion"] == 1
    assert transport.calls["Metadata_metadata_at_version"] == 0


# --- commitments, on the simnet (the conftest's `client`)


async def test_a_malformed_hotkey_is_a_value_error(client: ChainClient) -> None:
    with pytest.raises(ValueError, match="SS58"):
        await client.commitment(2, "not-a-hotkey", SNAPSHOT)


async def test_a_subnet_that_does_not_exist_is_subnet_not_found(client: ChainClient) -> None:
    for read in (client.hyperparameters, client.subnet):
        with pytest.raises(
            SubnetNotFound, match=f"subnet 999 does not exist at block {SNAPSHOT_NUMBER}"
        ):
            await read(999, SNAPSHOT)


async def test_the_simnet_commitments_read_back(client: ChainClient) -> None:
    everything = await client.commitments(2, SNAPSHOT)
    texts = {c.text for c in everything}

    assert "validator //Bob" in texts
    assert [c.hotkey for c in everything] == sorted(c.hotkey for c in everything)
    for commitment in everything:
        assert await client.commitment(2, commitment.hotkey, SNAPSHOT) == commitment


# --- a node that misbehaves (each test its own simnet: faults hit every connection to it)


@pytest.fixture
async def own_simnet() -> AsyncIterator[Simnet]:
    async with Simnet(simnet_config()) as simnet:
        yield simnet


async def test_a_call_in_flight_when_the_connection_drops_is_asked_again(
    own_simnet: Simnet,
) -> None:
    async with ChainClient(own_simnet.url, timeout=60) as client:
        own_simnet.set_faults(stall=True, stall_methods=["chain_getBlockHash"])
        pending = asyncio.create_task(client.block_hash(SNAPSHOT_NUMBER))
        await asyncio.sleep(0.1)
        assert not pending.done()

        own_simnet.set_faults(drop_once=True)  # also turns the stall off
        # Well before the client's own 60 s timeout: the drop fails the attempt, and the
        # next one, on a new connection, answers.
        assert await asyncio.wait_for(pending, timeout=10) == SNAPSHOT_HASH


async def test_a_node_that_does_not_answer_is_unavailable_and_nothing_is_cached(
    own_simnet: Simnet,
) -> None:
    async with ChainClient(own_simnet.url, timeout=0.5) as client:
        reader = ChainReader(client, Settings(netuid=1))  # type: ignore[call-arg]
        ref = await reader.resolve(number=SNAPSHOT_NUMBER)
        own_simnet.set_faults(stall=True, stall_methods=["state_call"])

        with pytest.raises(ChainUnavailable, match="did not answer"):
            await reader.hyperparameters(ref)
        own_simnet.set_faults()
        hyperparameters = await reader.hyperparameters(ref)

    assert hyperparameters.tempo == 99


async def test_a_node_busy_for_good_is_unavailable_after_a_few_attempts(
    own_simnet: Simnet,
) -> None:
    async with ChainClient(own_simnet.url) as client:
        own_simnet.set_faults(error_rate=1.0, error_methods=["chain_getBlockHash"])
        started = time.monotonic()
        with pytest.raises(ChainUnavailable, match="busy"):
            await client.block_hash(SNAPSHOT_NUMBER)
        # The backoff is bounded: well inside the 15 s timeout, the retries gave up.
        assert time.monotonic() - started < 5


async def test_reads_from_a_node_busy_30_percent_of_the_time_succeed(own_simnet: Simnet) -> None:
    async with ChainClient(own_simnet.url) as client:
        own_simnet.set_faults(error_rate=0.3)
        hashes = [await client.block_hash(SNAPSHOT_NUMBER) for _ in range(100)]
    assert hashes == [SNAPSHOT_HASH] * 100


async def test_reads_through_connections_that_drop_succeed(own_simnet: Simnet) -> None:
    async with ChainClient(own_simnet.url) as client:
        own_simnet.set_faults(drop_every=5)
        hashes = [await client.block_hash(SNAPSHOT_NUMBER) for _ in range(40)]
    assert hashes == [SNAPSHOT_HASH] * 40


async def test_the_calls_of_one_request_share_one_deadline(own_simnet: Simnet) -> None:
    async with ChainClient(own_simnet.url, timeout=2.0) as client:
        own_simnet.set_faults(stall=True, stall_methods=["chain_getBlockHash"])
        started = time.monotonic()
        with deadline.within(2.0):
            for _ in range(2):
                with pytest.raises(ChainUnavailable, match="did not answer"):
                    await client.block_hash(SNAPSHOT_NUMBER)
        # Each call alone would have had 2 s (4 s in all): together they had 2 s. The margin
        # is for a loaded machine, and still tells the two apart.
        assert time.monotonic() - started < 3.5


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
    own_simnet: Simnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # turbobt marks its runtime as loaded before the metadata arrives; the client undoes that.
    monkeypatch.setattr(client_module, "_RUNTIMES", {})  # no decode to borrow: load it here
    own_simnet.set_faults(stall=True, stall_methods=["state_call"])
    client = ChainClient(
        own_simnet.url, timeout=2.0
    )  # loading it takes ~0.3 s, more on a busy machine
    try:
        with pytest.raises(ChainUnavailable):
            await client.connect()
        own_simnet.set_faults()
        await client.connect()
        subnet = await client.subnet(1, await client.finalized_head())
    finally:
        await client.close()

    assert subnet.name == "Apex"
