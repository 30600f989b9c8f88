"""Metadata V14 from the shipped V15, by cutting bytes: what `state_getMetadata` answers.

A node answers `state_getMetadata` with V14 and `Metadata_metadata_at_version(15)` with V15. V14
is V15 without the runtime APIs, outer enums and custom values, without pallet docs, and with the
extrinsic's own type id where V15 lists address/call/signature/extra types. The type registry
and everything else is the same bytes, so the conversion copies them.
"""

from __future__ import annotations

import scalecodec.base
import scalecodec.type_registry
from scalecodec.base import ScaleBytes

from ..scale import decode_compact, encode_compact


class _Reader:
    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def compact(self) -> int:
        value, self.offset = decode_compact(self.data, self.offset)
        return value

    def byte(self) -> int:
        value = self.data[self.offset]
        self.offset += 1
        return value

    def skip(self, size: int) -> None:
        self.offset += size

    def text(self) -> None:
        self.skip(self.compact())

    def texts(self) -> None:
        for _ in range(self.compact()):
            self.text()

    def optional(self, read: object) -> None:
        if self.byte():
            read()  # type: ignore[operator]

    def fields(self) -> None:
        for _ in range(self.compact()):
            self.optional(self.text)  # name
            self.compact()  # type
            self.optional(self.text)  # type name
            self.texts()  # docs

    def portable_registry(self) -> None:
        """Skip a scale-info PortableRegistry."""
        for _ in range(self.compact()):
            self.compact()  # id
            self.texts()  # path
            for _ in range(self.compact()):  # params
                self.text()
                self.optional(self.compact)
            kind = self.byte()
            if kind == 0:  # composite
                self.fields()
            elif kind == 1:  # variant
                for _ in range(self.compact()):
                    self.text()
                    self.fields()
                    self.byte()  # index
                    self.texts()
            elif kind in (2, 6):  # sequence, compact
                self.compact()
            elif kind == 3:  # array
                self.skip(4)
                self.compact()
            elif kind == 4:  # tuple
                for _ in range(self.compact()):
                    self.compact()
            elif kind == 5:  # primitive
                self.byte()
            elif kind == 7:  # bit sequence
                self.compact()
                self.compact()
            else:
                raise ValueError(f"unknown type definition {kind}")
            self.texts()  # docs


_PALLET_V14_FIELDS = (
    "Text",
    "Option<StorageMetadataV14>",
    "Option<PalletCallMetadataV14>",
    "Option<PalletEventMetadataV14>",
    "Vec<PalletConstantMetadataV14>",
    "Option<PalletErrorMetadataV14>",
    "u8",
)


def metadata_v14(v15: bytes, extrinsic_type: int) -> bytes:
    """The V14 metadata equal to the V15 `v15` (both with the `meta` magic and version)."""
    if v15[:5] != b"meta\x0f":
        raise ValueError("not V15 metadata")
    reader = _Reader(v15, 5)
    reader.portable_registry()
    types = v15[5 : reader.offset]

    # pallets: scalecodec's V14 pallet types read each one up to the docs V15 adds
    config = scalecodec.base.RuntimeConfigurationObject()
    config.update_type_registry(scalecodec.type_registry.load_type_registry_preset(name="core"))
    data = ScaleBytes(v15)
    data.offset = reader.offset
    count, data.offset = decode_compact(v15, data.offset)
    pallets = []
    for _ in range(count):
        start = data.offset
        for type_string in _PALLET_V14_FIELDS:
            config.create_scale_object(type_string, data=data).decode(check_remaining=False)
        pallets.append(v15[start : data.offset])
        reader.offset = data.offset
        reader.texts()  # docs
        data.offset = reader.offset

    version = reader.byte()
    for _ in range(4):  # address, call, signature, extra types
        reader.compact()
    start = reader.offset
    config.create_scale_object(
        "Vec<SignedExtensionMetadataV14>", data=_at(data, reader.offset)
    ).decode(check_remaining=False)
    signed_extensions = v15[start : data.offset]
    reader.offset = data.offset
    start = reader.offset
    reader.compact()
    runtime_type = v15[start : reader.offset]
    return (
        b"meta\x0e"
        + types
        + encode_compact(count)
        + b"".join(pallets)
        + encode_compact(extrinsic_type)
        + bytes((version,))
        + signed_extensions
        + runtime_type
    )


def _at(data: ScaleBytes, offset: int) -> ScaleBytes:
    data.offset = offset
    return data
