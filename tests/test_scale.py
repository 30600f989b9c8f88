"""The simnet's SCALE codec against scalecodec (what turbobt decodes with)."""

from __future__ import annotations

from typing import Any

import pytest
import scalecodec.base
import scalecodec.type_registry
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecodec.base import ScaleBytes

from pylon_gql.runtime_metadata import v15_types
from pylon_gql.scale import decode_compact, encode_compact
from pylon_gql.simnet import load_fixture_json
from pylon_gql.simnet.runtime import Runtime, get_runtime


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return get_runtime()


@pytest.fixture(scope="module")
def scalecodec_registry(runtime: Runtime) -> Any:
    """A scalecodec registry built the way turbobt builds its own."""
    config = scalecodec.base.RuntimeConfigurationObject()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    config.update_type_registry_types(v15_types())
    config.type_registry["types"]["metadataall"].type_mapping.append(["V15", "MetadataV15"])
    metadata: Any = config.create_scale_object(
        "MetadataVersioned", data=ScaleBytes(runtime.metadata_bytes)
    )
    metadata.decode()
    config.add_portable_registry(metadata)
    return config


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_compact_round_trip(value: int):
    encoded = encode_compact(value)
    assert decode_compact(encoded, 0) == (value, len(encoded))


def test_every_recorded_answer_round_trips(runtime: Runtime):
    fixture = load_fixture_json("finney-netuid1-block6852690.json")
    for call in fixture["state_call"]:
        output = runtime.methods[call["method"]].output
        raw = bytes.fromhex(call["result"][2:])
        assert runtime.codec.encode(output, runtime.codec.decode(output, raw)) == raw


u16 = st.integers(min_value=0, max_value=65535)
u64 = st.integers(min_value=0, max_value=2**64 - 1)
account = st.binary(min_size=32, max_size=32)


@st.composite
def neuron_lite(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "hotkey": draw(account),
        "coldkey": draw(account),
        "uid": draw(u16),
        "netuid": draw(u16),
        "active": draw(st.booleans()),
        "axon_info": {
            "block": draw(u64),
            "version": draw(st.integers(min_value=0, max_value=2**32 - 1)),
            "ip": draw(st.integers(min_value=0, max_value=2**128 - 1)),
            "port": draw(u16),
            "ip_type": draw(st.sampled_from([4, 6])),
            "protocol": draw(st.integers(min_value=0, max_value=255)),
            "placeholder1": 0,
            "placeholder2": 0,
        },
        "prometheus_info": {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0},
        "stake": draw(st.lists(st.tuples(account, u64).map(list), max_size=3)),
        "rank": draw(u16),
        "emission": draw(u64),
        "incentive": draw(u16),
        "consensus": draw(u16),
        "trust": draw(u16),
        "validator_trust": draw(u16),
        "dividends": draw(u16),
        "last_update": draw(u64),
        "validator_permit": draw(st.booleans()),
        "pruning_score": draw(u16),
    }


@settings(max_examples=60, deadline=None)
@given(neuron_lite())
def test_encoded_neurons_decode_in_scalecodec(
    runtime: Runtime, scalecodec_registry: Any, neuron: dict[str, Any]
):
    lite_type = runtime.codec.type_def(
        runtime.methods["NeuronInfoRuntimeApi_get_neurons_lite"].output
    )["def"]["sequence"]["type"]
    encoded = runtime.codec.encode(lite_type, neuron)
    decoded = scalecodec_registry.create_scale_object(f"scale_info::{lite_type}").decode(
        ScaleBytes(encoded)
    )
    assert decoded["hotkey"] == "0x" + neuron["hotkey"].hex()
    assert decoded["uid"] == neuron["uid"]
    assert decoded["axon_info"]["ip"] == neuron["axon_info"]["ip"]
    assert decoded["stake"] == [("0x" + k.hex(), v) for k, v in neuron["stake"]]
    assert decoded["last_update"] == neuron["last_update"]
    assert decoded["validator_permit"] == neuron["validator_permit"]
    assert runtime.codec.decode(lite_type, encoded) == neuron
