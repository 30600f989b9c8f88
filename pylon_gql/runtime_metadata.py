"""A runtime's metadata decoded by scalecodec once per process, whoever asks for it first.

scalecodec took 1.2-1.7 s of pure Python to decode a runtime's metadata (some 265,000 objects),
and two parts of one process read the same bytes: the embedded simnet decodes the metadata it
serves, and the chain client then fetches those very bytes from it for turbobt. Together that
was about half of the server's start on the simulated chain. Now:

- the second reader gets the first one's decode (so do a second chain client and the
  archive's, when their node runs the same runtime);
- the decode itself takes 0.25-0.4 s: scalecodec's classes for `Vec<...>` and kin are made once
  per type string instead of once per value, and the garbage collector waits until it is done.

What is shared is what turbobt's own load (`Substrate._init_runtime`) makes: scalecodec's
registry (its core preset with turbobt's V15 definitions, and the metadata's portable types
added) and the metadata it decoded. The two belong together: the decoded metadata looks types
up in the registry that decoded it.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from typing import Any, NamedTuple

import scalecodec.base
import scalecodec.type_registry
from scalecodec.base import ScaleBytes

from .scale import ScaleError, decode_compact

#: The runtime API call (`state_call`) and its argument that answer the V15 metadata.
METADATA_CALL = "Metadata_metadata_at_version"
V15 = (15).to_bytes(4, "little")


class Decoded(NamedTuple):
    """scalecodec's registry with the metadata's types, and the metadata it decoded."""

    registry: Any
    metadata: Any

    @property
    def v15(self) -> dict[str, Any]:
        """The metadata's V15 content as plain values (types, pallets, apis, extrinsic...)."""
        return self.metadata.value[1]["V15"]


_decoded: dict[bytes, Decoded] = {}
_lock = threading.Lock()


def decoded(metadata: bytes) -> Decoded:
    """The decode of `metadata` (a `MetadataVersioned`, V15), made on the first call for these
    bytes in this process. Blocks for the decode (about a second): call it from a thread when
    an event loop must go on meanwhile."""
    digest = hashlib.sha256(metadata).digest()
    with _lock:  # one decode even when the simnet's thread and a client ask at once
        found = _decoded.get(digest)
        if found is None:
            found = _decoded[digest] = _decode(metadata)
        return found


def unwrap(answer: bytes | bytearray | str) -> bytes | None:
    """The metadata in an answer to `Metadata_metadata_at_version` (an `Option<Vec<u8>>`);
    None when the runtime has no metadata at that version."""
    if isinstance(answer, str):
        answer = bytes.fromhex(answer.removeprefix("0x"))
    data = bytes(answer)
    if not data or data[0] == 0:
        return None
    if data[0] != 1:
        raise ScaleError(f"not an Option: its first byte is {data[0]}")
    length, offset = decode_compact(data, 1)
    if offset + length != len(data):
        raise ScaleError(f"an Option<Vec<u8>> of {length} bytes in {len(data) - offset}")
    return data[offset:]


def registry() -> Any:
    """scalecodec's registry as turbobt makes it: the core preset, with metadata V15."""
    config = _Registry()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    config.update_type_registry_types(v15_types())
    config.type_registry["types"]["metadataall"].type_mapping.append(["V15", "MetadataV15"])
    return config


class _Registry(scalecodec.base.RuntimeConfigurationObject):
    """scalecodec's registry, which makes each type's class once while it decodes metadata.

    For every `Vec<...>`, `Option<...>`, tuple or array it meets, scalecodec makes a new class
    (36,000 of them for one metadata, a third of the decode). While `_classes` is set (during
    `_decode` only) the class made for a type string is kept and handed out again; after it,
    this is scalecodec's own registry (adding the portable types would make a kept class
    stale, and turbobt's calls get what scalecodec gives them)."""

    _classes: dict[str, Any] | None = None

    def get_decoder_class(self, type_string: str | dict[str, Any]) -> Any:
        classes = self._classes
        if classes is None or not isinstance(type_string, str):
            return super().get_decoder_class(type_string)
        found = classes.get(type_string)
        if found is None:
            found = super().get_decoder_class(type_string)
            if found is not None:
                classes[type_string] = found
        return found


def _decode(metadata: bytes) -> Decoded:
    config = registry()
    versioned = config.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata))
    config._classes = {}
    # The decode makes some 265,000 objects, all kept: the collector's passes over them while
    # they pile up were a third of the decode's time, and find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        versioned.decode()
    finally:
        config._classes = None
        if collecting:
            gc.enable()
    config.add_portable_registry(versioned)
    return Decoded(config, versioned)


def v15_types() -> dict[str, Any]:
    """scalecodec's core preset knows metadata up to V14; these definitions add V15 (the same as
    turbobt's own, `turbobt.substrate._scalecodec`: a test holds them equal)."""
    return {
        "genericruntimeapimethodmetadata": {"type": "struct"},
        "genericruntimeapimetadata": {"type": "struct"},
        "RuntimeApiMethodParamMetadataV15": {
            "type": "struct",
            "type_mapping": [["name", "Text"], ["type", "SiLookupTypeId"]],
        },
        "RuntimeApiMethodMetadataV15": {
            "type": "struct",
            "base_class": "GenericRuntimeApiMethodMetadata",
            "type_mapping": [
                ["name", "Text"],
                ["inputs", "Vec<RuntimeApiMethodParamMetadataV15>"],
                ["output", "SiLookupTypeId"],
                ["docs", "Vec<Text>"],
            ],
        },
        "RuntimeApiMetadataV15": {
            "type": "struct",
            "base_class": "GenericRuntimeApiMetadata",
            "type_mapping": [
                ["name", "Text"],
                ["methods", "Vec<RuntimeApiMethodMetadataV15>"],
                ["docs", "Vec<Text>"],
            ],
        },
        "MetadataV15": {
            "type": "struct",
            "type_mapping": [
                ["types", "PortableRegistry"],
                ["pallets", "Vec<PalletMetadataV15>"],
                ["extrinsic", "ExtrinsicMetadataV15"],
                ["runtime_type", "SiLookupTypeId"],
                ["apis", "Vec<RuntimeApiMetadataV15>"],
                ["outer_enums", "OuterEnums15"],
                ["custom", "Vec<CustomMetadata15>"],
            ],
        },
        "PalletMetadataV15": {
            "type": "struct",
            "base_class": "ScaleInfoPalletMetadata",
            "type_mapping": [
                ["name", "Text"],
                ["storage", "Option<StorageMetadataV14>"],
                ["calls", "Option<PalletCallMetadataV14>"],
                ["event", "Option<PalletEventMetadataV14>"],
                ["constants", "Vec<PalletConstantMetadataV14>"],
                ["error", "Option<PalletErrorMetadataV14>"],
                ["index", "u8"],
                ["docs", "Vec<Text>"],
            ],
        },
        "ExtrinsicMetadataV15": {
            "type": "struct",
            "type_mapping": [
                ["version", "u8"],
                ["address_type", "SiLookupTypeId"],
                ["call_type", "SiLookupTypeId"],
                ["signature_type", "SiLookupTypeId"],
                ["extra_type", "SiLookupTypeId"],
                ["signed_extensions", "Vec<SignedExtensionMetadataV14>"],
            ],
        },
        "OuterEnums15": {
            "type": "struct",
            "type_mapping": [
                ["call_type", "SiLookupTypeId"],
                ["event_type", "SiLookupTypeId"],
                ["error_type", "SiLookupTypeId"],
            ],
        },
        "CustomMetadata15": "BTreeMap<Text, CustomValueMetadata15>",
        "CustomValueMetadata15": "Bytes",
    }
