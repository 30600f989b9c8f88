"""Runtime calls (`state_call`) decoded by unmodified turbobt over a real websocket."""

from __future__ import annotations

from typing import Any

import turbobt

from pylon_gql.simnet import Simnet

from ..conftest import SNAPSHOT_HASH


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
    # subnet 1 runs finney's tempo at the snapshot; the synthetic subnet 2 runs 360
    for netuid, tempo in ((1, 99), (2, 360)):
        subnet = bt.subnet(netuid)
        params: Any = await subnet.get_hyperparameters(block_hash=SNAPSHOT_HASH)
        assert params is not None
        assert params["tempo"] == tempo
        assert params["commit_reveal_weights_enabled"] is True
        info = await subnet.get(block_hash=SNAPSHOT_HASH)
        assert info is not None
        assert info.owner_coldkey == info.owner_hotkey == owner
        assert info.tempo == tempo
    assert (await bt.subnet(1).get(block_hash=SNAPSHOT_HASH)).name == "Apex"  # type: ignore[union-attr]
    assert await bt.subnet(9).get(block_hash=SNAPSHOT_HASH) is None


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
