"""Unmodified turbobt against the simnet, over a real websocket."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import scalecodec
import turbobt
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet

from .conftest import START_MS

SNAPSHOT = 6852690
SNAPSHOT_HASH = "0xdb13c066e2c63969f140164fb3bfe7a0aaa7b71407fc0fe525d68e57329ef9d0"


def _fixture_call(fixture_json: dict[str, Any], method: str) -> dict[str, str]:
    return next(c for c in fixture_json["state_call"] if c["method"] == method)


def _decode_with_turbobt_registry(bt: turbobt.Bittensor, method: str, result: str) -> Any:
    """Decode recorded bytes the way the fixture README says: scalecodec + the metadata."""
    subtensor: Any = bt.subtensor
    api, name = method.split("_", 1)
    output = subtensor._apis[api]["methods"][name]["output"]
    scale = subtensor._registry.create_scale_object(f"scale_info::{output}")
    return scale.decode(scalecodec.ScaleBytes(result))


async def test_head_and_blocks_by_number_and_hash(simnet: Simnet, bt: turbobt.Bittensor):
    snapshot = await bt.block(SNAPSHOT).get()
    assert snapshot.hash == SNAPSHOT_HASH
    assert (await bt.blocks[SNAPSHOT_HASH].get()).number == SNAPSHOT

    await simnet.produce_blocks(2)
    head = await bt.head.get()
    assert head.number == simnet.head_number >= SNAPSHOT + 2
    assert head.hash == simnet.head_hash
    by_hash = await bt.blocks[head.hash].get()
    assert by_hash.number == head.number

    # the hash chain: each header names its parent
    header: Any = await bt.subtensor.chain.getHeader(head.hash)
    assert header is not None
    parent = await bt.block(simnet.head_number - 1).get()
    assert header["parentHash"] == parent.hash
    real: Any = await bt.subtensor.chain.getHeader(SNAPSHOT_HASH)
    assert real is not None
    assert (
        real["parentHash"] == "0x7348409fe36728fa2ac7f0886346fd35b79804d294046d152ba1baccd9d0be3a"
    )


async def test_timestamps_are_block_time_apart(simnet: Simnet, bt: turbobt.Bittensor):
    snapshot = await bt.block(SNAPSHOT).get()
    assert await snapshot.get_timestamp() == datetime.datetime.fromtimestamp(
        START_MS / 1000, tz=datetime.UTC
    )
    await simnet.produce_blocks(1)
    later = await bt.block(SNAPSHOT + 1).get()
    delta = await later.get_timestamp() - await snapshot.get_timestamp()
    assert delta == datetime.timedelta(seconds=12)


async def test_block_body_has_the_timestamp_inherent(simnet: Simnet, bt: turbobt.Bittensor):
    await simnet.produce_blocks(1)
    block: Any = await bt.subtensor.chain.getBlock(simnet.head_hash)
    assert block is not None
    (extrinsic,) = block["block"]["extrinsics"]
    assert extrinsic["call"]["call_module"] == "Timestamp"
    now = await bt.subtensor.timestamp.Now.get(block_hash=simnet.head_hash)
    assert extrinsic["call"]["call_args"][0]["value"] == now


async def test_neurons_lite_bytes_are_the_recorded_ones(
    bt: turbobt.Bittensor, fixture_json: dict[str, Any]
):
    for method in (
        "NeuronInfoRuntimeApi_get_neurons_lite",
        "SubnetInfoRuntimeApi_get_subnet_state",
    ):
        call = _fixture_call(fixture_json, method)
        answer = await bt.subtensor.state.call(method, call["params"], SNAPSHOT_HASH)
        assert isinstance(answer, bytearray)
        assert "0x" + answer.hex() == call["result"], method


async def test_list_neurons_at_snapshot_equals_the_fixture(
    bt: turbobt.Bittensor, fixture_json: dict[str, Any]
):
    call = _fixture_call(fixture_json, "NeuronInfoRuntimeApi_get_neurons_lite")
    expected = _decode_with_turbobt_registry(bt, call["method"], call["result"])
    neurons = await bt.subnet(1).list_neurons(block_hash=SNAPSHOT_HASH)
    assert len(neurons) == len(expected) == 1024
    for neuron, raw in zip(neurons, expected, strict=True):
        assert neuron.uid == raw["uid"]
        assert neuron.hotkey == ss58_encode(raw["hotkey"])
        assert neuron.coldkey == ss58_encode(raw["coldkey"])
        assert neuron.stake == raw["stake"][0][1] / 1e9
        assert neuron.incentive == raw["incentive"] / 65535
        assert neuron.dividends == raw["dividends"] / 65535
        assert neuron.last_update == raw["last_update"]
        assert neuron.validator_permit == raw["validator_permit"]
        assert neuron.axon_info.port == raw["axon_info"]["port"]
        assert int(neuron.axon_info.ip) == raw["axon_info"]["ip"]
        assert neuron.axon_info.protocol == raw["axon_info"]["protocol"]


async def test_neuron_lite_via_runtime_api(bt: turbobt.Bittensor):
    neurons: Any = await bt.subtensor.neuron_info.get_neurons_lite(1, block_hash=SNAPSHOT_HASH)
    assert neurons is not None
    assert len(neurons) == 1024
    one = await bt.subtensor.neuron_info.get_neuron(1, 24, block_hash=SNAPSHOT_HASH)
    assert one is not None
    assert one["hotkey"] == neurons[24]["hotkey"]
    assert one["incentive"] == neurons[24]["incentive"]
    assert await bt.subtensor.neuron_info.get_neuron(1, 5000, block_hash=SNAPSHOT_HASH) is None
    assert await bt.subtensor.neuron_info.get_neurons_lite(77, block_hash=SNAPSHOT_HASH) is None


async def test_hyperparameters_and_dynamic_info(simnet: Simnet, bt: turbobt.Bittensor):
    owner = simnet.dev_keys["owner_coldkey"][1]
    for netuid in (1, 2):
        subnet = bt.subnet(netuid)
        params: Any = await subnet.get_hyperparameters(block_hash=SNAPSHOT_HASH)
        assert params is not None
        assert params["tempo"] == 360
        assert params["commit_reveal_weights_enabled"] is True
        info = await subnet.get(block_hash=SNAPSHOT_HASH)
        assert info is not None
        assert info.owner_coldkey == info.owner_hotkey == owner
        assert info.tempo == 360
    assert (await bt.subnet(1).get(block_hash=SNAPSHOT_HASH)).name == "Apex"  # type: ignore[union-attr]
    assert await bt.subnet(9).get(block_hash=SNAPSHOT_HASH) is None


async def test_commitments(bt: turbobt.Bittensor):
    for netuid in (1, 2):
        commitments = await bt.subnet(netuid).commitments.fetch(block_hash=SNAPSHOT_HASH)
        assert len(commitments) >= 3
        texts = [c["data"] for c in commitments.values()]
        assert any(_is_text(t) for t in texts)
        assert any(not _is_text(t) for t in texts)
        hotkey, expected = next(iter(commitments.items()))
        one = await bt.subnet(netuid).commitments.get(hotkey, block_hash=SNAPSHOT_HASH)
        assert one == expected
    nobody = ss58_encode(bytes(32))
    assert await bt.subnet(1).commitments.get(nobody, block_hash=SNAPSHOT_HASH) is None


def _is_text(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


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
    assert neuron.stake > 0
    validators = await bt.subnet(1).list_validators(block_hash=block.hash)
    assert bob in {v.hotkey for v in validators}


async def test_weights_storage(simnet: Simnet, bt: turbobt.Bittensor):
    weights = await bt.subnet(2).weights.fetch(block_hash=SNAPSHOT_HASH)
    assert weights  # every validator but //Bob has set weights
    validator, row = next(iter(weights.items()))
    assert max(row.values()) == 1.0
    assert await bt.subnet(2).weights.get(validator, block_hash=SNAPSHOT_HASH) == row
    assert await bt.subnet(1).weights.fetch_pending(block_hash=SNAPSHOT_HASH) == {}
    pending = await bt.subnet(2).weights.fetch_pending(block_hash=SNAPSHOT_HASH)
    ((epoch, commits),) = pending.items()
    assert epoch == (SNAPSHOT + 2 + 1) // 361
    ((hotkey, commit),) = commits.items()
    assert commit.block < SNAPSHOT
    assert len(commit.commit) == 96
    neuron = await bt.subnet(2).get_neuron(hotkey, block_hash=SNAPSHOT_HASH)
    assert neuron is not None
    assert neuron.validator_permit


async def test_finalized_heads_subscription_gives_consecutive_blocks(
    simnet: Simnet, bt: turbobt.Bittensor
):
    chain = bt.subtensor.chain
    subscription_id = await chain.subscribeFinalizedHeads()
    subscription = await bt.subtensor.subscribe(subscription_id)
    first = int((await subscription.__anext__())["number"], 16)
    assert first == simnet.finalized_number

    await simnet.produce_blocks(20)
    numbers = []
    async with asyncio.timeout(10):
        while len(numbers) < 20:
            numbers.append(int((await subscription.__anext__())["number"], 16))
    assert numbers == list(range(first + 1, first + 21))
    assert simnet.finalized_number == first + 20 == simnet.head_number - 2
    assert await chain.unsubscribeFinalizedHeads(subscription_id) is True
    await bt.subtensor.unsubscribe(subscription_id)


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


async def test_more_runtime_calls_decode_in_turbobt(simnet: Simnet, bt: turbobt.Bittensor):
    api_call: Any = bt.subtensor.api_call
    everything = await api_call("SubnetInfoRuntimeApi", "get_all_dynamic_info", SNAPSHOT_HASH)
    assert [info["netuid"] for info in everything] == [1, 2]
    v2 = await api_call(
        "SubnetInfoRuntimeApi", "get_subnet_hyperparams_v2", SNAPSHOT_HASH, netuid=2
    )
    assert v2["tempo"] == 360
    neurons = await api_call("NeuronInfoRuntimeApi", "get_neurons", SNAPSHOT_HASH, netuid=2)
    assert len(neurons) == 256
    weights = await bt.subnet(2).weights.fetch(block_hash=SNAPSHOT_HASH)
    for neuron in neurons:
        expected = weights.get(neuron["uid"], {})
        assert {uid: w / 65535 for uid, w in neuron["weights"]} == expected
    version = await api_call("Core", "version", SNAPSHOT_HASH)
    assert version["spec_version"] == 318
    assert version["spec_name"] == "node-subtensor"
    state = await bt.subnet(2).get_state(block_hash=SNAPSHOT_HASH)
    assert state is not None
    assert state["hotkeys"][0] == simnet.dev_keys["validator_hotkey"][1]
