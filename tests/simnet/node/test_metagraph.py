"""The metagraph runtime calls: at the snapshot, finney's recorded answer (but for the fields
the simnet makes its own); at any block, the same values as get_neurons_lite."""

from __future__ import annotations

from typing import Any

from pylon_gql.scale import decode_compact
from pylon_gql.simnet import Simnet
from pylon_gql.simnet.node.metagraph import SIMNET_OWN_FIELDS, metagraph_fields
from pylon_gql.simnet.node.runtime_api import RuntimeApi
from pylon_gql.simnet.runtime import get_runtime

from ..conftest import SNAPSHOT_HASH

SELECTIVE = "SubnetInfoRuntimeApi_get_selective_mechagraph"


def _recorded(fixture_json: dict[str, Any]) -> dict[str, Any]:
    (call,) = [c for c in fixture_json["state_call"] if c["method"] == SELECTIVE]
    return call


def test_selective_mechagraph_at_the_snapshot_is_finney_s(
    simnet: Simnet, fixture_json: dict[str, Any]
):
    runtime = get_runtime()
    call = _recorded(fixture_json)
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    answer = RuntimeApi(runtime).call(state, SELECTIVE, bytes.fromhex(call["params"][2:]))
    recorded = bytes.fromhex(call["result"][2:])
    output = runtime.methods[SELECTIVE].output
    ours, theirs = runtime.codec.decode(output, answer), runtime.codec.decode(output, recorded)
    differing = sorted(name for name in metagraph_fields(runtime) if ours[name] != theirs[name])
    assert differing == sorted(SIMNET_OWN_FIELDS)
    # byte for byte, once the simnet's own fields are put back to finney's
    restored = {**ours, **{name: theirs[name] for name in SIMNET_OWN_FIELDS}}
    assert runtime.codec.encode(output, restored) == recorded


async def test_metagraph_agrees_with_neurons_lite_at_a_produced_block(simnet: Simnet):
    runtime = get_runtime()
    api = RuntimeApi(runtime)
    await simnet.produce_blocks(2)
    state = simnet.world.head
    for netuid in (1, 2):
        encoded = runtime.encode_call_input("SubnetInfoRuntimeApi_get_metagraph", netuid=netuid)
        graph = runtime.codec.decode(
            runtime.methods["SubnetInfoRuntimeApi_get_metagraph"].output,
            api.call(state, "SubnetInfoRuntimeApi_get_metagraph", encoded),
        )
        lite_bytes = api.call(state, "NeuronInfoRuntimeApi_get_neurons_lite", encoded)
        count, offset = decode_compact(lite_bytes, 0)
        decode_one = runtime.codec.decoder(runtime.neuron_lite_type)
        neurons = []
        for _ in range(count):
            neuron, offset = decode_one(lite_bytes, offset)
            neurons.append(neuron)
        assert graph["block"] == state.number
        assert graph["num_uids"] == len(neurons) == len(graph["hotkeys"])
        for field, lite_field in [
            ("hotkeys", "hotkey"),
            ("coldkeys", "coldkey"),
            ("last_update", "last_update"),
            ("incentives", "incentive"),
            ("dividends", "dividends"),
            ("emission", "emission"),
            ("validator_permit", "validator_permit"),
            ("axons", "axon_info"),
        ]:
            assert graph[field] == [n[lite_field] for n in neurons], field
        assert graph["tempo"] == state.subnets[netuid].hyperparameters["tempo"]
        assert graph["last_step"] + graph["blocks_since_last_step"] == state.number
    missing = runtime.encode_call_input("SubnetInfoRuntimeApi_get_metagraph", netuid=9)
    assert api.call(state, "SubnetInfoRuntimeApi_get_metagraph", missing) == b"\x00"
