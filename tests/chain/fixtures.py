"""The real finney bytes in /work/shared/chain-fixtures, decoded independently of pylon_gql.

`FixtureTransport` answers turbobt from those bytes, so the client's decode and mapping can be
checked without a node; `expected_neurons` decodes the same bytes with scalecodec alone.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple, cast

import scalecodec
import scalecodec.type_registry
from scalecodec.base import RuntimeConfigurationObject
from scalecodec.utils.ss58 import ss58_encode

FIXTURES = Path("/work/shared/chain-fixtures")
SNAPSHOT = json.loads((FIXTURES / "finney-netuid1-block6852690.json").read_text())
SNAPSHOT_NUMBER: int = SNAPSHOT["block_number"]
SNAPSHOT_HASH: str = SNAPSHOT["block_hash"]
METADATA_HEX: str = json.loads((FIXTURES / "metadata-v15.json").read_text())["result"]
STATE_CALLS: dict[str, str] = {call["method"]: call["result"] for call in SNAPSHOT["state_call"]}
RUNTIME_VERSION: dict[str, Any] = json.loads(
    (FIXTURES / "runtime-version-spec318.json").read_text()
)
#: Not in the fixtures (only the snapshot block is): a stand-in for block 0's hash.
GENESIS_HASH = "0x" + "00" * 31 + "01"


@functools.cache
def _registry() -> tuple[RuntimeConfigurationObject, dict[str, Any]]:
    # turbobt's private module, imported here so that a turbobt that moved it fails the tests
    # that decode, and tests/chain/test__internals.py names it, instead of failing collection.
    from turbobt.substrate._scalecodec import load_type_registry_v15_types

    config = RuntimeConfigurationObject()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    config.update_type_registry_types(load_type_registry_v15_types())
    config.type_registry["types"]["metadataall"].type_mapping.append(["V15", "MetadataV15"])
    opaque = config.create_scale_object("Option<Vec<u8>>", data=scalecodec.ScaleBytes(METADATA_HEX))
    opaque.decode()
    metadata: Any = config.create_scale_object(
        "MetadataVersioned", data=scalecodec.ScaleBytes(cast(str, opaque.value))
    )
    metadata.decode()
    config.add_portable_registry(metadata)
    apis = {api["name"]: api for api in metadata.value[1]["V15"]["apis"]}
    return config, apis


def decode_state_call(api: str, method: str) -> Any:
    config, apis = _registry()
    output = next(m for m in apis[api]["methods"] if m["name"] == method)["output"]
    scale = config.create_scale_object(f"scale_info::{output}")
    return scale.decode(scalecodec.ScaleBytes(STATE_CALLS[f"{api}_{method}"]))


@functools.cache
def expected_neurons() -> list[dict[str, Any]]:
    """Subnet 1 at the snapshot, straight from SCALE: account ids as SS58, units untouched."""
    neurons = decode_state_call("NeuronInfoRuntimeApi", "get_neurons_lite")
    for neuron in neurons:
        neuron["hotkey"] = ss58_encode(neuron["hotkey"])
        neuron["coldkey"] = ss58_encode(neuron["coldkey"])
        neuron["stake"] = [(ss58_encode(key), value) for key, value in neuron["stake"]]
    return neurons


class Reply(NamedTuple):
    request: Any
    result: Any
    error: dict[str, Any] | None = None


class FixtureTransport:
    """A turbobt transport that knows one block: the finney snapshot.

    Blocks in `pruned` answer like a pruned node does; `calls` counts requests by name.
    """

    def __init__(self, pruned: frozenset[str] = frozenset()) -> None:
        self.pruned = pruned
        self.calls: Counter[str] = Counter()
        self.connected = True

    async def __aenter__(self) -> FixtureTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass

    async def close(self) -> None:
        self.connected = False

    def subscribe(self, subscription_id: str) -> Any:
        raise NotImplementedError

    def unsubscribe(self, subscription_id: str) -> None:
        return None

    async def send(self, request: Any) -> Reply:
        params = request.params
        if request.method == "state_call":
            name, block_hash = params["name"], params["hash"]
            self.calls[name] += 1
            if name == "Metadata_metadata_at_version":
                return Reply(request, METADATA_HEX)
            if block_hash in self.pruned:
                return self._error(request, 4003, f"State already discarded for {block_hash}")
            if block_hash != SNAPSHOT_HASH:
                return self._error(request, 4003, f"Unknown block {block_hash}")
            return Reply(request, STATE_CALLS[name])
        self.calls[request.method] += 1
        if request.method == "chain_getHeader":
            return Reply(request, SNAPSHOT["header"] if params["hash"] == SNAPSHOT_HASH else None)
        if request.method == "chain_getBlockHash":
            if params["hash"] == 0:
                return Reply(request, GENESIS_HASH)
            return Reply(request, SNAPSHOT_HASH if params["hash"] == SNAPSHOT_NUMBER else None)
        if request.method == "state_getRuntimeVersion":
            return Reply(request, RUNTIME_VERSION)
        return self._error(request, -32601, "Method not found")

    def _error(self, request: Any, code: int, message: str) -> Reply:
        return Reply(request, None, {"code": code, "message": message})
