"""What moves between blocks by itself: //Bob joins subnet 1, the metagraph drifts, miners are
re-registered, timelocked commits age out."""

from __future__ import annotations

import dataclasses
from typing import Any

import turbobt
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.drift import Drift, age_commits
from pylon_gql.simnet.keys import VALIDATOR_STAKE
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.state import RAO

from .conftest import SNAPSHOT, SNAPSHOT_HASH


async def test_validator_dev_key_holds_a_uid_after_the_snapshot(
    simnet: Simnet, bt: turbobt.Bittensor
):
    bob = simnet.dev_keys["validator_hotkey"][1]
    charlie = simnet.dev_keys["validator_coldkey"][1]
    uids = bt.subtensor.subtensor_module.Uids
    assert await uids.get(1, bob, block_hash=SNAPSHOT_HASH) is None
    assert await uids.get(2, bob, block_hash=SNAPSHOT_HASH) == 0

    await simnet.produce_blocks(1)
    block = await bt.block(SNAPSHOT + 1).get()
    uid = await uids.get(1, bob, block_hash=block.hash)
    assert uid is not None
    neuron = await bt.subnet(1).get_neuron(bob, block_hash=block.hash)
    assert neuron is not None
    assert neuron.uid == uid
    assert neuron.coldkey == charlie
    assert neuron.validator_permit
    assert neuron.stake == VALIDATOR_STAKE / RAO
    # a fresh registration, as a miner's re-registration: no scores, no axon served yet
    assert (neuron.rank, neuron.incentive, neuron.dividends, neuron.trust) == (0, 0, 0, 0)
    assert neuron.axon_info.port == 0
    # its last update a weights rate limit (100) before: it may set weights at once
    assert neuron.last_update == SNAPSHOT + 1 - 100
    validators = await bt.subnet(1).list_validators(block_hash=block.hash)
    assert bob in {v.hotkey for v in validators}


async def test_metagraph_drifts_as_the_world_says(simnet: Simnet, bt: turbobt.Bittensor):
    await simnet.produce_blocks(30)
    block = await bt.block(simnet.head_number).get()
    later = await bt.subnet(1).list_neurons(block_hash=block.hash)
    before = await bt.subnet(1).list_neurons(block_hash=SNAPSHOT_HASH)
    world = simnet.world
    state, snapshot = world.state_of(block.hash), world.state_of(SNAPSHOT_HASH)
    assert state is not None
    assert snapshot is not None
    records, snapshot_records = state.subnets[1].neurons, snapshot.subnets[1].neurons

    # the world's drift replaced some records; exactly those neurons look different
    drifted = {uid for uid in range(1024) if records[uid] is not snapshot_records[uid]}
    changed = {uid for uid in range(1024) if _fields(later[uid]) != _fields(before[uid])}
    assert len(changed) > 10
    assert changed <= drifted
    for uid in drifted:
        lite = records[uid].lite
        assert later[uid].hotkey == ss58_encode(lite["hotkey"])
        assert later[uid].last_update == lite["last_update"]
        assert later[uid].incentive == lite["incentive"] / 65535
        assert later[uid].dividends == lite["dividends"] / 65535
        assert later[uid].stake == lite["stake"][0][1] / 1e9
    # validators that set weights in these 30 blocks show it in last_update, and a new row
    setters = [uid for uid in changed if later[uid].validator_permit]
    setters = [uid for uid in setters if later[uid].last_update > SNAPSHOT]
    assert setters
    weights_before = await bt.subnet(1).weights.fetch(block_hash=SNAPSHOT_HASH)
    weights_later = await bt.subnet(1).weights.fetch(block_hash=block.hash)
    for uid in setters:
        if uid in weights_before:
            assert weights_later[uid] != weights_before[uid]
            assert weights_later[uid].keys() == weights_before[uid].keys()
    assert weights_later == {
        uid: {target: w / 65535 for target, w in row}
        for uid, row in state.subnets[1].weights.items()
    }


def _fields(neuron: Any) -> tuple[Any, ...]:
    return (
        neuron.hotkey,
        neuron.stake,
        neuron.incentive,
        neuron.dividends,
        neuron.emission,
        neuron.last_update,
    )


async def test_deregistered_uid_gets_a_new_hotkey(simnet: Simnet, bt: turbobt.Bittensor):
    world = simnet.world
    # //Bob takes a uid of subnet 1 in the first produced block: not a re-registration (and
    # this test must not depend on another having produced that block before it)
    await simnet.produce_blocks(1)
    start = world.head
    found = None
    for _ in range(200):
        await simnet.produce_blocks(1)
        before = world.state_of(world.head.header.parent_hash)
        assert before is not None
        for netuid in (1, 2):
            for old, new in zip(
                before.subnets[netuid].neurons, world.head.subnets[netuid].neurons, strict=True
            ):
                if old.hotkey != new.hotkey and old.uid != start.subnets[netuid].uid_of(
                    bytes.fromhex(
                        "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"
                    )
                ):
                    found = (netuid, old, new, before.hash, world.head.hash)
        if found:
            break
    assert found is not None, "no uid was re-registered in 200 blocks"
    netuid, old, new, before_hash, after_hash = found
    uids = bt.subtensor.subtensor_module.Uids
    assert await uids.get(netuid, ss58_encode(old.hotkey), block_hash=before_hash) == old.uid
    assert await uids.get(netuid, ss58_encode(old.hotkey), block_hash=after_hash) is None
    assert await uids.get(netuid, ss58_encode(new.hotkey), block_hash=after_hash) == new.uid
    neuron = await bt.subnet(netuid).get_neuron(new.uid, block_hash=after_hash)
    assert neuron is not None
    assert neuron.hotkey == ss58_encode(new.hotkey)
    assert neuron.stake == 0


def test_commits_age_out_after_the_reveal_period(writer: Simnet):
    subnet = writer.world.head.subnets[2]
    tempo = subnet.hyperparameters["tempo"]
    period = subnet.hyperparameters["commit_reveal_period"]
    commit = [b"\x01" * 32, 1, b"ciphertext", 7]
    # block `start` opens epoch `epoch` of this subnet
    epoch = 20_000
    start = epoch * (tempo + 1) - subnet.netuid - 1
    aged = dataclasses.replace(
        subnet, weight_commits={epoch - period: [commit], epoch - period + 1: [commit]}
    )
    # the first block of epoch E + period: the commits of E are revealed (here: dropped)
    kept = age_commits(aged, start)
    assert list(kept.weight_commits) == [epoch - period + 1]
    # the block before: both kept
    assert age_commits(aged, start - 1) is aged


def test_scores_emission_and_bonds_move_only_when_the_epoch_runs(simnet: Simnet):
    snapshot = simnet.world.state_of(SNAPSHOT_HASH)
    assert snapshot is not None
    drift = Drift(get_runtime(), seed=0)
    subnet = snapshot.subnets[1]
    moved_at = []
    for number in range(SNAPSHOT + 1, SNAPSHOT + 210):
        before = subnet
        subnet = drift.move(subnet, number)
        scores = [
            (n.lite["incentive"], n.lite["dividends"], n.lite["emission"], n.lite["trust"])
            for n in subnet.neurons
        ]
        old = [
            (n.lite["incentive"], n.lite["dividends"], n.lite["emission"], n.lite["trust"])
            for n in before.neurons
        ]
        if scores != old or subnet.bonds != before.bonds:
            moved_at.append(number)
    # tempo 99: subtensor runs subnet 1's epoch where (block + 1 + 2) % 100 == 0
    assert moved_at == [6852697, 6852797, 6852897]
