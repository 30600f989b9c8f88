"""The runtime metadata's one decode per process: the same as scalecodec's own, made once, and
the one the embedded simnet and a chain client on it both use."""

from __future__ import annotations

import gc
from typing import Any

import pytest
import scalecodec.base
import scalecodec.type_registry
from scalecodec.base import ScaleBytes

from pylon_gql import runtime_metadata
from pylon_gql.chain import _internals
from pylon_gql.chain.client import ChainClient
from pylon_gql.scale import ScaleError, encode_compact
from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.runtime import get_runtime


def shipped_metadata() -> bytes:
    return get_runtime().metadata_bytes


def scalecodecs_own_decode(metadata: bytes) -> Any:
    """The metadata as turbobt's `_init_runtime` decodes it, with scalecodec's plain registry."""
    from turbobt.substrate._scalecodec import load_type_registry_v15_types

    config = scalecodec.base.RuntimeConfigurationObject()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    config.update_type_registry_types(load_type_registry_v15_types())
    config.type_registry["types"]["metadataall"].type_mapping.append(["V15", "MetadataV15"])
    versioned = config.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata))
    versioned.decode()
    return versioned


def test_the_v15_definitions_are_turbobts() -> None:
    from turbobt.substrate._scalecodec import load_type_registry_v15_types

    assert runtime_metadata.v15_types() == load_type_registry_v15_types()


def test_the_decode_is_scalecodecs_own() -> None:
    metadata = shipped_metadata()
    ours = runtime_metadata.decoded(metadata)
    assert ours.metadata.value == scalecodecs_own_decode(metadata).value
    # The registry that decoded it knows the metadata's portable types, as turbobt's does.
    neurons = ours.v15["apis"]
    api = next(a for a in neurons if a["name"] == "NeuronInfoRuntimeApi")
    output = next(m for m in api["methods"] if m["name"] == "get_neurons_lite")["output"]
    assert ours.registry.create_scale_object(f"scale_info::{output}") is not None
    # turbobt's storage reads look their pallet up in the decoded metadata.
    pallet = ours.metadata.get_metadata_pallet("SubtensorModule")
    assert pallet.get_storage_function("Tempo") is not None
    # Once decoded, the registry makes classes as scalecodec does (nothing kept).
    assert ours.registry._classes is None
    assert gc.isenabled()


def test_the_same_bytes_are_decoded_once() -> None:
    metadata = shipped_metadata()
    first = runtime_metadata.decoded(metadata)
    assert runtime_metadata.decoded(bytes(bytearray(metadata))) is first


def test_unwrap_reads_the_runtime_calls_option() -> None:
    metadata = b"\x6d\x65\x74\x61" + bytes(range(100))
    answer = b"\x01" + encode_compact(len(metadata)) + metadata
    assert runtime_metadata.unwrap(answer) == metadata
    assert runtime_metadata.unwrap("0x" + answer.hex()) == metadata
    assert runtime_metadata.unwrap(bytearray(answer)) == metadata
    assert runtime_metadata.unwrap(b"\x00") is None
    assert runtime_metadata.unwrap(b"") is None
    with pytest.raises(ScaleError):
        runtime_metadata.unwrap(b"\x02" + answer[1:])
    with pytest.raises(ScaleError):
        runtime_metadata.unwrap(answer[:-1])


async def test_a_client_of_the_embedded_simnet_uses_its_decode() -> None:
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, finality_lag=0)
    async with Simnet(config) as simnet, ChainClient(simnet.url, timeout=10) as client:
        runtime = _internals.runtime_of(client._bt)
        assert runtime is not None
        shared = runtime_metadata.decoded(shipped_metadata())
        assert runtime.metadata is shared.metadata
        assert runtime.registry is shared.registry
        # And it reads through it: a storage read (turbobt's), runtime API calls (turbobt's
        # and ours).
        head = await client.finalized_head()
        block = await client.block(head)
        assert block.number == head.number and block.timestamp is not None
        assert (await client.hyperparameters(1, head)).tempo > 0
        metagraph = await client.metagraph(1, head)
        assert len(metagraph.neurons) == len(simnet.world.head.subnets[1].neurons)
