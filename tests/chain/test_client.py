"""ChainClient's decode and mapping, against the real finney bytes (no node needed)."""

from __future__ import annotations

import pytest

from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import BlockNotFound, BlockPruned, SubscriptionUnsupported
from pylon_gql.models import BlockRef

from .fixtures import SNAPSHOT_HASH, SNAPSHOT_NUMBER, FixtureTransport, expected_neurons

SNAPSHOT = BlockRef(SNAPSHOT_NUMBER, SNAPSHOT_HASH)
PRUNED = BlockRef(SNAPSHOT_NUMBER - 1_000_000, "0x" + "ab" * 32)


@pytest.fixture(scope="module")
async def client():
    async with ChainClient("ws://fixture", transport=FixtureTransport()) as client:
        yield client


async def test_metagraph_maps_every_neuron_of_the_snapshot(client: ChainClient) -> None:
    metagraph = await client.metagraph(1, SNAPSHOT)

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


async def test_metagraph_values_read_like_a_human_would(client: ChainClient) -> None:
    metagraph = await client.metagraph(1, SNAPSHOT)

    neuron = metagraph.neuron_by_uid(5)
    assert neuron is not None
    assert neuron.axon.ip == "159.65.176.209"  # 0x9F41B0D1 on chain
    assert metagraph.by_hotkey[neuron.hotkey] is neuron
    assert all(0.0 <= n.trust <= 1.0 for n in metagraph.neurons)
    assert any(n.validator_permit for n in metagraph.neurons)
    assert sum(n.stake for n in metagraph.neurons) > 0


async def test_block_number_and_hash_resolve_both_ways(client: ChainClient) -> None:
    assert await client.block_hash(SNAPSHOT_NUMBER) == SNAPSHOT_HASH
    assert await client.block_number(SNAPSHOT_HASH) == SNAPSHOT_NUMBER
    assert await client.block_number("0x" + "00" * 32) is None
    assert await client.block_hash(SNAPSHOT_NUMBER + 1) is None


async def test_unknown_block_is_block_not_found(client: ChainClient) -> None:
    with pytest.raises(BlockNotFound):
        await client.metagraph(1, BlockRef(1, "0x" + "00" * 32))


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


async def test_a_node_without_subscriptions_says_so(client: ChainClient) -> None:
    heads = client.finalized_heads()
    with pytest.raises(SubscriptionUnsupported):
        await anext(heads)


async def test_clients_of_one_runtime_decode_its_metadata_once(client: ChainClient) -> None:
    transport = FixtureTransport()
    async with ChainClient("ws://another", transport=transport) as another:
        subnet_state = await another.metagraph(1, SNAPSHOT)

    assert len(subnet_state.neurons) == 1024
    assert transport.calls["state_getRuntimeVersion"] == 1
    assert transport.calls["Metadata_metadata_at_version"] == 0
