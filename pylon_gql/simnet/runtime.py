"""The runtime the simnet pretends to run: spec-318 metadata, its types, APIs and storage.

Everything here is read from the data shipped in `fixtures/` once per process (the metadata's
decode is shared with the process, `pylon_gql/runtime_metadata.py`) and shared by every Simnet
instance.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import threading
from importlib import resources
from typing import Any

from ..runtime_metadata import decoded, unwrap
from ..scale import Codec, encode_compact
from .hashing import HASHERS, twox128
from .metadata_v14 import metadata_v14

logger = logging.getLogger("pylon_gql.simnet")


@dataclasses.dataclass(frozen=True)
class RuntimeApiMethod:
    name: str  # as state_call names it: "<Api>_<method>"
    inputs: tuple[tuple[str, int], ...]
    output: int


@dataclasses.dataclass(frozen=True)
class StorageEntry:
    pallet: str
    name: str
    prefix: bytes  # twox128(pallet prefix) + twox128(name)
    hashers: tuple[str, ...]
    key_types: tuple[int, ...]
    value_type: int
    optional: bool

    def key(self, codec: Codec, *keys: Any) -> bytes:
        """The full storage key for `keys` (fewer keys give a prefix of the map)."""
        out = bytearray(self.prefix)
        for hasher, key_type, key in zip(self.hashers, self.key_types, keys, strict=False):
            out += HASHERS[hasher](codec.encode(key_type, key))
        return bytes(out)


def _read_data(name: str) -> bytes:
    return gzip.decompress(
        resources.files("pylon_gql.simnet").joinpath("fixtures").joinpath(name).read_bytes()
    )


def load_fixture_json(name: str) -> dict[str, Any]:
    """One of the shipped chain fixtures (`finney-netuid1-block6852690.json` and kin), parsed."""
    return json.loads(_read_data(f"{name}.gz"))


@dataclasses.dataclass(frozen=True)
class ExtrinsicFormat:
    """How the metadata says a signed extrinsic is laid out."""

    version: int
    address_type: int
    call_type: int
    signature_type: int
    # (identifier, type of what the extrinsic carries, type of what is only signed)
    extensions: tuple[tuple[str, int, int], ...]


class Runtime:
    """Types, runtime APIs and storage entries of the shipped metadata."""

    def __init__(self) -> None:
        answer = load_fixture_json("metadata-v15.json")["result"]
        # the runtime call answers Option<OpaqueMetadata>: 0x01 + compact length + metadata
        self.metadata_at_version_15 = bytes.fromhex(answer.removeprefix("0x"))
        self.runtime_version: dict[str, Any] = load_fixture_json("runtime-version-spec318.json")
        metadata = unwrap(self.metadata_at_version_15)
        assert metadata is not None, "the shipped metadata-v15.json answers no metadata"
        self.metadata_bytes = metadata
        # Decoded once per process: a chain client in this process that fetches these bytes
        # from the simnet (the server's, on the embedded simnet) gets this decode.
        v15 = decoded(metadata).v15

        types = {entry["id"]: entry["type"] for entry in v15["types"]["types"]}
        self.codec = Codec(types)
        self.methods: dict[str, RuntimeApiMethod] = {}
        for api in v15["apis"]:
            for method in api["methods"]:
                name = f"{api['name']}_{method['name']}"
                self.methods[name] = RuntimeApiMethod(
                    name=name,
                    inputs=tuple((i["name"], i["type"]) for i in method["inputs"]),
                    output=method["output"],
                )
        # NeuronInfoLite: every neuron record is kept with its bytes in this type
        neurons = self.methods["NeuronInfoRuntimeApi_get_neurons_lite"].output
        self.neuron_lite_type: int = self.codec.type_def(neurons)["def"]["sequence"]["type"]
        self.pallet_index: dict[str, int] = {}
        self.storage: dict[tuple[str, str], StorageEntry] = {}
        # pallet -> error name -> its index (a module error's `error[0]`)
        self.pallet_errors: dict[str, dict[str, int]] = {}
        # pallet -> call name -> its argument names, in order
        self.pallet_calls: dict[str, dict[str, tuple[str, ...]]] = {}
        for pallet in v15["pallets"]:
            self.pallet_index[pallet["name"]] = pallet["index"]
            if pallet["error"]:
                variants = types[pallet["error"]["ty"]]["def"]["variant"]["variants"]
                self.pallet_errors[pallet["name"]] = {v["name"]: v["index"] for v in variants}
            if pallet["calls"]:
                variants = types[pallet["calls"]["ty"]]["def"]["variant"]["variants"]
                self.pallet_calls[pallet["name"]] = {
                    v["name"]: tuple(f["name"] for f in v["fields"]) for v in variants
                }
            if not pallet["storage"]:
                continue
            pallet_hash = twox128(pallet["storage"]["prefix"].encode())
            for entry in pallet["storage"]["entries"]:
                kind = entry["type"]
                if "Plain" in kind:
                    hashers: tuple[str, ...] = ()
                    key_types: tuple[int, ...] = ()
                    value_type = kind["Plain"]
                else:
                    hashers = tuple(kind["Map"]["hashers"])
                    key = kind["Map"]["key"]
                    key_types = (key,) if len(hashers) == 1 else tuple(types[key]["def"]["tuple"])
                    value_type = kind["Map"]["value"]
                self.storage[(pallet["name"], entry["name"])] = StorageEntry(
                    pallet=pallet["name"],
                    name=entry["name"],
                    prefix=pallet_hash + twox128(entry["name"].encode()),
                    hashers=hashers,
                    key_types=key_types,
                    value_type=value_type,
                    optional=entry["modifier"] == "Optional",
                )
        self.storage_by_prefix = {entry.prefix: entry for entry in self.storage.values()}
        extrinsic = v15["extrinsic"]
        self.extrinsic = ExtrinsicFormat(
            version=extrinsic["version"],
            address_type=extrinsic["address_type"],
            call_type=extrinsic["call_type"],
            signature_type=extrinsic["signature_type"],
            extensions=tuple(
                (e["identifier"], e["ty"], e["additional_signed"])
                for e in extrinsic["signed_extensions"]
            ),
        )
        self.event_type: int = v15["outer_enums"]["event_type"]
        self._v14: bytes | None = None
        self._v14_lock = threading.Lock()

    def entry(self, pallet: str, name: str) -> StorageEntry:
        return self.storage[(pallet, name)]

    def encode_call_input(self, method: str, **arguments: Any) -> bytes:
        spec = self.methods[method]
        return b"".join(self.codec.encode(t, arguments[n]) for n, t in spec.inputs)

    def decode_call_input(self, method: str, data: bytes) -> dict[str, Any]:
        spec = self.methods[method]
        arguments: dict[str, Any] = {}
        offset = 0
        for name, type_id in spec.inputs:
            arguments[name], offset = self.codec.decoder(type_id)(data, offset)
        if offset != len(data):
            raise ValueError(f"{len(data) - offset} bytes left after the arguments of {method}")
        return arguments

    def metadata_versions(self) -> bytes:
        return encode_compact(2) + (14).to_bytes(4, "little") + (15).to_bytes(4, "little")

    @property
    def metadata_v14_bytes(self) -> bytes:
        """The same metadata as V14 (what `state_getMetadata` answers), made on first use."""
        with self._v14_lock:
            if self._v14 is None:
                tx = dict(self.methods["TaggedTransactionQueue_validate_transaction"].inputs)
                self._v14 = metadata_v14(self.metadata_bytes, tx["tx"])
            return self._v14


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide Runtime, built on first use."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime()
            logger.debug("simnet runtime loaded: %d types", len(_runtime.codec._types))
        return _runtime
