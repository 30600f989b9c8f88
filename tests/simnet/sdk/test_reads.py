"""What a validator's code reads through the bittensor SDK, each value compared with the
simnet's world state at the same block."""

from __future__ import annotations

import asyncio

import bittensor
import pytest
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.keys import VALIDATOR_COLDKEY, VALIDATOR_HOTKEY
from pylon_gql.simnet.state import BlockState, blocks_since_last_step

BOB = ss58_encode(VALIDATOR_HOTKEY, 42)
CHARLIE = ss58_encode(VALIDATOR_COLDKEY, 42)


def _state(simnet: Simnet) -> BlockState:
    return simnet.world.head


async def test_connects_async_and_sync(simnet: Simnet, sdk: bittensor.Client):
    assert await sdk.block() == simnet.head_number
    assert await sdk.finalized_block() == simnet.finalized_number
    assert await sdk.spec_version() == 318

    def blocking() -> tuple[int, int]:
        client = bittensor.Subtensor(simnet.url)
        try:
            return client.block, client.spec_version
        finally:
            client.close()

    # the blocking client runs its own loop on a thread; the simnet answers on this one
    assert await asyncio.to_thread(blocking) == (simnet.head_number, 318)


async def test_neurons_lite_and_full(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    for netuid in (1, 2):
        records = state.subnets[netuid].neurons
        lite = await sdk.neurons.neurons(netuid, block=state.number)
        assert [n.uid for n in lite] == list(range(len(records)))
        for neuron, record in zip(lite, records, strict=True):
            assert neuron.hotkey == ss58_encode(record.hotkey, 42)
            assert neuron.coldkey == ss58_encode(record.lite["coldkey"], 42)
            assert neuron.last_update == record.lite["last_update"]
            assert neuron.validator_permit == record.lite["validator_permit"]
            assert neuron.total_stake.rao == record.total_stake
    full = await sdk.neurons.neurons(2, lite=False, block=state.number)
    subnet = state.subnets[2]
    for neuron in full:
        assert [list(w) for w in neuron.raw["weights"]] == subnet.weights.get(neuron.uid, [])
        assert [list(b) for b in neuron.raw["bonds"]] == subnet.bonds.get(neuron.uid, [])


async def test_metagraph(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    subnet = state.subnets[1]
    graph = await sdk.subnets.metagraph(1, block=state.number)
    assert graph is not None
    assert (graph.netuid, graph.name, graph.block) == (1, "Apex", state.number)
    assert graph.tempo == 99
    assert graph.last_step + graph.blocks_since_last_step == state.number
    assert graph.blocks_since_last_step == blocks_since_last_step(1, 99, state.number)
    assert graph.owner_coldkey == ss58_encode(subnet.owner_coldkey, 42)
    assert graph.num_uids == len(graph.neurons) == 1024
    for neuron, record in zip(graph.neurons, subnet.neurons, strict=True):
        lite, extra = record.lite, record.extra
        assert neuron.hotkey == ss58_encode(lite["hotkey"], 42)
        assert neuron.last_update == lite["last_update"]
        assert neuron.block_at_registration == extra["block_at_registration"]
        assert neuron.incentive == pytest.approx(lite["incentive"] / 65535)
        assert neuron.dividends == pytest.approx(lite["dividends"] / 65535)
        assert neuron.emission.rao == lite["emission"]
        assert neuron.alpha_stake.rao == extra["alpha_stake"]
    # the commitments of registered hotkeys, by uid
    committed = {subnet.uid_of(hotkey) for hotkey in subnet.commitments}
    assert set(graph.commitments) == committed
    assert graph.commitments[24].data == "https://apex.example/v1"


async def test_subnets(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    everything = await sdk.subnets.all(block=state.number)
    assert [(s.netuid, s.tempo, s.neuron_count) for s in everything] == [
        (n, s.hyperparameters["tempo"], len(s.neurons)) for n, s in sorted(state.subnets.items())
    ]
    one = await sdk.subnets.info(1, block=state.number)
    assert one.burn.rao == state.subnets[1].hyperparameters["burn"]
    assert await sdk.subnets.mechanism_count(1, block=state.number) == 1
    assert await sdk.subnets.commit_reveal_enabled(1, block=state.number) is True
    assert await sdk.subnets.subnet_names(block=state.number) == {1: "Apex (simnet)"}


async def test_hyperparameters(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    for netuid in (1, 2):
        params = state.subnets[netuid].hyperparameters
        hp = sdk.hyperparameters
        block = state.number
        assert await hp.immunity_period(netuid, block=block) == params["immunity_period"]
        assert await hp.min_allowed_weights(netuid, block=block) == params["min_allowed_weights"]
        assert await hp.max_weight_limit(netuid, block=block) == params["max_weights_limit"]
        assert await hp.weights_rate_limit(netuid, block=block) == params["weights_rate_limit"]
        assert await hp.reveal_period(netuid, block=block) == params["commit_reveal_period"]
        assert await hp.difficulty(netuid, block=block) == params["difficulty"]


async def test_weights_and_bonds(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    for netuid in (1, 2):
        subnet = state.subnets[netuid]
        weights = await sdk.weights.weights(netuid, block=state.number)
        assert weights == {
            uid: {t: w / sum(v for _, v in row) for t, w in row}
            for uid, row in sorted(subnet.weights.items())
        }
        bonds = await sdk.weights.bonds(netuid, block=state.number)
        assert bonds == {
            uid: {t: b / 65535 for t, b in row} for uid, row in sorted(subnet.bonds.items())
        }
    pending = await sdk.weights.timelocked_weight_commits(2, block=state.number)
    assert sum(len(c) for c in pending.values()) == sum(
        len(c) for c in state.subnets[2].weight_commits.values()
    )


async def test_commitments(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    subnet = state.subnets[2]
    commitments = await sdk.subnets.commitments(2, block=state.number)
    # a hotkey with a commitment, or one the chain revealed (RevealedCommitments)
    assert set(commitments) == {
        ss58_encode(k, 42) for k in (*subnet.commitments, *subnet.revealed_commitments)
    }
    for hotkey, reveals in subnet.revealed_commitments.items():
        revealed = commitments[ss58_encode(hotkey, 42)]
        assert revealed.is_revealed
        assert revealed.block == reveals[-1][1]
    mine = await sdk.identity.commitment(2, BOB, block=state.number)
    assert mine is not None
    assert (mine.data, mine.block) == (
        "validator //Bob",
        subnet.commitments[VALIDATOR_HOTKEY]["block"],
    )
    assert commitments[BOB].data == "validator //Bob"


async def test_epochs_and_registration(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    block = state.number
    for netuid in (1, 2):
        subnet = state.subnets[netuid]
        tempo = subnet.hyperparameters["tempo"]
        since = await sdk.epochs.blocks_since_last_step(netuid, block=block)
        assert since == blocks_since_last_step(netuid, tempo, block)
        uid = 5
        assert await sdk.epochs.blocks_since_last_update(netuid, uid, block=block) == (
            block - subnet.neurons[uid].lite["last_update"]
        )
    assert await sdk.neurons.netuids_for_hotkey(BOB, block=block) == [1, 2]
    assert await sdk.neurons.uid(BOB, 2, block=block) == 0
    assert await sdk.neurons.uid(BOB, 1, block=block) == state.subnets[1].uid_of(VALIDATOR_HOTKEY)
    assert await sdk.neurons.hotkey_owner(BOB, block=block) == CHARLIE


async def test_stake_delegates_and_prices(simnet: Simnet, sdk: bittensor.Client):
    state = _state(simnet)
    block = state.number
    bob = state.subnets[2].neurons[0]
    stake = await sdk.staking.stake(CHARLIE, BOB, 2, block=block)
    assert stake.rao == bob.extra["alpha_stake"]
    positions = await sdk.staking.stake_for_coldkey(CHARLIE, block=block)
    assert {(p.netuid, p.stake.rao) for p in positions} == {
        (netuid, s.neurons[s.uid_of(VALIDATOR_HOTKEY)].extra["alpha_stake"])  # type: ignore[index]
        for netuid, s in state.subnets.items()
    }
    assert await sdk.delegation.is_delegate(BOB, block=block) is True
    pool = state.subnets[1].pool
    price = await sdk.prices.alpha_price(1, block=block)
    assert price["tao_per_alpha"] == pytest.approx(pool["tao_in"] / pool["alpha_in"], rel=1e-6)
    delegated = await sdk.delegation.delegated(CHARLIE, block=block)
    assert {(d.netuid, d.stake.rao) for d in delegated} == {
        (p.netuid, p.stake.rao) for p in positions
    }
    assert {d.delegate.hotkey for d in delegated} == {BOB}


async def test_what_the_packaged_runtime_cannot_answer(simnet: Simnet, sdk: bittensor.Client):
    """The SDK asks newer runtimes for APIs the simnet's spec-318 metadata lacks: it refuses
    before asking (listed in docs/simnet.md)."""
    with pytest.raises(ValueError, match="get_subnet_hyperparams_v3"):
        await sdk.subnets.subnet_hyperparameters(1)
    with pytest.raises(ValueError, match="get_next_epoch_start_block"):
        await sdk.epochs.blocks_until_next_epoch(1)
