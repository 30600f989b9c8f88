"""The snapshot block answers what finney answered, byte for byte."""

from __future__ import annotations

from typing import Any

import scalecodec
import turbobt
from scalecodec.utils.ss58 import ss58_encode

from .conftest import SNAPSHOT_HASH


def _fixture_call(fixture_json: dict[str, Any], method: str) -> dict[str, str]:
    return next(c for c in fixture_json["state_call"] if c["method"] == method)


def _decode_with_turbobt_registry(bt: turbobt.Bittensor, method: str, result: str) -> Any:
    """Decode recorded bytes the way the fixture README says: scalecodec + the metadata."""
    subtensor: Any = bt.subtensor
    api, name = method.split("_", 1)
    output = subtensor._apis[api]["methods"][name]["output"]
    scale = subtensor._registry.create_scale_object(f"scale_info::{output}")
    return scale.decode(scalecodec.ScaleBytes(result))


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
    await bt.subtensor._init_runtime()  # the registry below is turbobt's, made on first use
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
