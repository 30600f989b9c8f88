"""A small SCALE codec compiled from the metadata's portable type registry.

scalecodec decodes the metadata once; this codec then turns every `scale_info` type id into a
pair of plain closures, which encode and decode an order of magnitude faster than scalecodec's
object model. That is what lets a block's drift re-encode neurons cheaply.

Value shapes (chosen to be easy to build, not to mirror scalecodec):
composite with named fields -> dict; with one unnamed field -> that field's value (so an
AccountId32 is `bytes`); with several unnamed fields -> list. `Vec<u8>` and `[u8; N]` -> bytes.
Option -> None or the value. Other enums -> the variant name when it has no fields, else
`{name: fields}`. Tuples -> list. Compact -> int.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

Encoder = Callable[[Any, bytearray], None]
Decoder = Callable[[bytes, int], tuple[Any, int]]

_INT_SIZES = {
    "u8": 1,
    "u16": 2,
    "u32": 4,
    "u64": 8,
    "u128": 16,
    "u256": 32,
    "i8": 1,
    "i16": 2,
    "i32": 4,
    "i64": 8,
    "i128": 16,
    "i256": 32,
}


class ScaleError(ValueError):
    """Bytes or a value that do not fit the type."""


def encode_compact(value: int) -> bytes:
    if value < 0:
        raise ScaleError(f"compact of a negative number: {value}")
    if value < 1 << 6:
        return bytes((value << 2,))
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    raw = value.to_bytes((value.bit_length() + 7) // 8, "little")
    return bytes((((len(raw) - 4) << 2) | 3,)) + raw


def decode_compact(data: bytes, offset: int) -> tuple[int, int]:
    mode = data[offset] & 3
    if mode == 0:
        return data[offset] >> 2, offset + 1
    if mode == 1:
        return int.from_bytes(data[offset : offset + 2], "little") >> 2, offset + 2
    if mode == 2:
        return int.from_bytes(data[offset : offset + 4], "little") >> 2, offset + 4
    size = (data[offset] >> 2) + 4
    end = offset + 1 + size
    return int.from_bytes(data[offset + 1 : end], "little"), end


def _encode_compact_into(value: int, out: bytearray) -> None:
    out += encode_compact(value)


class Codec:
    """Encoders and decoders for the types of one portable registry, compiled on first use."""

    def __init__(self, types: dict[int, dict[str, Any]]) -> None:
        self._types = types
        self._encoders: dict[int, Encoder] = {}
        self._decoders: dict[int, Decoder] = {}

    def type_def(self, type_id: int) -> dict[str, Any]:
        return self._types[type_id]

    def encode(self, type_id: int, value: Any) -> bytes:
        out = bytearray()
        self.encoder(type_id)(value, out)
        return bytes(out)

    def decode(self, type_id: int, data: bytes) -> Any:
        value, end = self.decoder(type_id)(data, 0)
        if end != len(data):
            raise ScaleError(f"{len(data) - end} bytes left after decoding type {type_id}")
        return value

    # -- encoders -------------------------------------------------------------------------------

    def encoder(self, type_id: int) -> Encoder:
        found = self._encoders.get(type_id)
        if found is not None:
            return found

        # a late-bound stand-in makes recursive types compile
        def late(value: Any, out: bytearray) -> None:
            self._encoders[type_id](value, out)

        self._encoders[type_id] = late
        compiled = self._compile_encoder(type_id)
        self._encoders[type_id] = compiled
        return compiled

    def _compile_encoder(self, type_id: int) -> Encoder:
        ty = self._types[type_id]
        (kind, spec), *_ = ty["def"].items()
        if kind == "primitive":
            return _primitive_encoder(spec)
        if kind == "compact":
            return _encode_compact_into
        if kind == "sequence":
            if self._is_u8(spec["type"]):
                return _encode_bytes_with_length
            item = self.encoder(spec["type"])

            def encode_sequence(value: Any, out: bytearray) -> None:
                out += encode_compact(len(value))
                for element in value:
                    item(element, out)

            return encode_sequence
        if kind == "array":
            length = spec["len"]
            if self._is_u8(spec["type"]):

                def encode_byte_array(value: Any, out: bytearray) -> None:
                    raw = _as_bytes(value)
                    if len(raw) != length:
                        raise ScaleError(f"[u8; {length}] given {len(raw)} bytes")
                    out += raw

                return encode_byte_array
            item = self.encoder(spec["type"])

            def encode_array(value: Any, out: bytearray) -> None:
                if len(value) != length:
                    raise ScaleError(f"array of {length} given {len(value)} items")
                for element in value:
                    item(element, out)

            return encode_array
        if kind == "tuple":
            items = [self.encoder(t) for t in spec]
            if not items:
                return _encode_nothing

            def encode_tuple(value: Any, out: bytearray) -> None:
                for encode_item, element in zip(items, value, strict=True):
                    encode_item(element, out)

            return encode_tuple
        if kind == "composite":
            return self._fields_encoder(spec["fields"])
        if kind == "variant":
            return self._variant_encoder(ty, spec["variants"])
        raise NotImplementedError(f"type {type_id}: {kind}")

    def _fields_encoder(self, fields: list[dict[str, Any]]) -> Encoder:
        if not fields:
            return _encode_nothing
        encoders = [self.encoder(f["type"]) for f in fields]
        if all(f["name"] for f in fields):
            named = [(f["name"], e) for f, e in zip(fields, encoders, strict=True)]

            def encode_struct(value: Any, out: bytearray) -> None:
                for name, encode_field in named:
                    try:
                        field = value[name]
                    except KeyError:
                        raise ScaleError(f"missing field {name!r}") from None
                    encode_field(field, out)

            return encode_struct
        if len(encoders) == 1:
            return encoders[0]

        def encode_unnamed(value: Any, out: bytearray) -> None:
            for encode_field, field in zip(encoders, value, strict=True):
                encode_field(field, out)

        return encode_unnamed

    def _variant_encoder(self, ty: dict[str, Any], variants: list[dict[str, Any]]) -> Encoder:
        if ty["path"] == ["Option"]:
            some = self._fields_encoder(variants[1]["fields"])

            def encode_option(value: Any, out: bytearray) -> None:
                if value is None:
                    out.append(0)
                else:
                    out.append(1)
                    some(value, out)

            return encode_option
        by_name = {v["name"]: (v["index"], self._fields_encoder(v["fields"])) for v in variants}

        def encode_variant(value: Any, out: bytearray) -> None:
            if isinstance(value, str):
                name, inner = value, None
            else:
                ((name, inner),) = value.items()
            try:
                index, encode_fields = by_name[name]
            except KeyError:
                raise ScaleError(f"unknown variant {name!r}") from None
            out.append(index)
            encode_fields(inner, out)

        return encode_variant

    # -- decoders -------------------------------------------------------------------------------

    def decoder(self, type_id: int) -> Decoder:
        found = self._decoders.get(type_id)
        if found is not None:
            return found

        def late(data: bytes, offset: int) -> tuple[Any, int]:
            return self._decoders[type_id](data, offset)

        self._decoders[type_id] = late
        compiled = self._compile_decoder(type_id)
        self._decoders[type_id] = compiled
        return compiled

    def _compile_decoder(self, type_id: int) -> Decoder:
        ty = self._types[type_id]
        (kind, spec), *_ = ty["def"].items()
        if kind == "primitive":
            return _primitive_decoder(spec)
        if kind == "compact":
            return decode_compact
        if kind == "sequence":
            if self._is_u8(spec["type"]):
                return _decode_bytes_with_length
            item = self.decoder(spec["type"])

            def decode_sequence(data: bytes, offset: int) -> tuple[Any, int]:
                length, offset = decode_compact(data, offset)
                values = []
                for _ in range(length):
                    value, offset = item(data, offset)
                    values.append(value)
                return values, offset

            return decode_sequence
        if kind == "array":
            length = spec["len"]
            if self._is_u8(spec["type"]):

                def decode_byte_array(data: bytes, offset: int) -> tuple[Any, int]:
                    end = offset + length
                    if end > len(data):
                        raise ScaleError("not enough bytes")
                    return bytes(data[offset:end]), end

                return decode_byte_array
            item = self.decoder(spec["type"])

            def decode_array(data: bytes, offset: int) -> tuple[Any, int]:
                values = []
                for _ in range(length):
                    value, offset = item(data, offset)
                    values.append(value)
                return values, offset

            return decode_array
        if kind == "tuple":
            items = [self.decoder(t) for t in spec]
            if not items:
                return _decode_nothing

            def decode_tuple(data: bytes, offset: int) -> tuple[Any, int]:
                values = []
                for decode_item in items:
                    value, offset = decode_item(data, offset)
                    values.append(value)
                return values, offset

            return decode_tuple
        if kind == "composite":
            return self._fields_decoder(spec["fields"])
        if kind == "variant":
            return self._variant_decoder(ty, spec["variants"])
        raise NotImplementedError(f"type {type_id}: {kind}")

    def _fields_decoder(self, fields: list[dict[str, Any]]) -> Decoder:
        if not fields:
            return _decode_nothing
        decoders = [self.decoder(f["type"]) for f in fields]
        if all(f["name"] for f in fields):
            named = [(f["name"], d) for f, d in zip(fields, decoders, strict=True)]

            def decode_struct(data: bytes, offset: int) -> tuple[Any, int]:
                value = {}
                for name, decode_field in named:
                    value[name], offset = decode_field(data, offset)
                return value, offset

            return decode_struct
        if len(decoders) == 1:
            return decoders[0]

        def decode_unnamed(data: bytes, offset: int) -> tuple[Any, int]:
            values = []
            for decode_field in decoders:
                value, offset = decode_field(data, offset)
                values.append(value)
            return values, offset

        return decode_unnamed

    def _variant_decoder(self, ty: dict[str, Any], variants: list[dict[str, Any]]) -> Decoder:
        if ty["path"] == ["Option"]:
            some = self._fields_decoder(variants[1]["fields"])

            def decode_option(data: bytes, offset: int) -> tuple[Any, int]:
                if data[offset] == 0:
                    return None, offset + 1
                return some(data, offset + 1)

            return decode_option
        by_index = {
            v["index"]: (v["name"], bool(v["fields"]), self._fields_decoder(v["fields"]))
            for v in variants
        }

        def decode_variant(data: bytes, offset: int) -> tuple[Any, int]:
            try:
                name, has_fields, decode_fields = by_index[data[offset]]
            except KeyError:
                raise ScaleError(f"unknown variant index {data[offset]}") from None
            if not has_fields:
                return name, offset + 1
            inner, offset = decode_fields(data, offset + 1)
            return {name: inner}, offset

        return decode_variant

    def _is_u8(self, type_id: int) -> bool:
        return self._types[type_id]["def"] == {"primitive": "u8"}


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def _encode_nothing(value: Any, out: bytearray) -> None:
    return None


def _decode_nothing(data: bytes, offset: int) -> tuple[Any, int]:
    return None, offset


def _encode_bytes_with_length(value: Any, out: bytearray) -> None:
    raw = value.encode() if isinstance(value, str) and not value.startswith("0x") else value
    raw = _as_bytes(raw)
    out += encode_compact(len(raw))
    out += raw


def _decode_bytes_with_length(data: bytes, offset: int) -> tuple[Any, int]:
    length, offset = decode_compact(data, offset)
    end = offset + length
    if end > len(data):
        raise ScaleError("not enough bytes")
    return bytes(data[offset:end]), end


def _primitive_encoder(name: str) -> Encoder:
    if name == "bool":

        def encode_bool(value: Any, out: bytearray) -> None:
            out.append(1 if value else 0)

        return encode_bool
    if name == "str":
        return _encode_bytes_with_length
    if name == "char":

        def encode_char(value: Any, out: bytearray) -> None:
            out += struct.pack("<I", ord(value))

        return encode_char
    size = _INT_SIZES[name]
    signed = name.startswith("i")

    def encode_int(value: Any, out: bytearray) -> None:
        out += int(value).to_bytes(size, "little", signed=signed)

    return encode_int


def _primitive_decoder(name: str) -> Decoder:
    if name == "bool":

        def decode_bool(data: bytes, offset: int) -> tuple[Any, int]:
            return data[offset] == 1, offset + 1

        return decode_bool
    if name == "str":

        def decode_str(data: bytes, offset: int) -> tuple[Any, int]:
            raw, offset = _decode_bytes_with_length(data, offset)
            return raw.decode(), offset

        return decode_str
    if name == "char":

        def decode_char(data: bytes, offset: int) -> tuple[Any, int]:
            return chr(struct.unpack_from("<I", data, offset)[0]), offset + 4

        return decode_char
    size = _INT_SIZES[name]
    signed = name.startswith("i")

    def decode_int(data: bytes, offset: int) -> tuple[Any, int]:
        end = offset + size
        if end > len(data):
            raise ScaleError("not enough bytes")
        return int.from_bytes(data[offset:end], "little", signed=signed), end

    return decode_int
