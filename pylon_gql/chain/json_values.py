"""Decoded SCALE values (`pylon_gql.scale`'s shapes) as JSON, by their metadata type.

A converter is compiled once per type id, like the codec's decoders: an `AccountId32` becomes
its SS58 address, bytes 0x-prefixed hex, an integer beyond JavaScript's exact range (2^53) a
decimal string (a JSON number that large loses digits in a browser, and orjson refuses one over
64 bits), an enum variant its name or `{name: fields}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..scale import Codec
from .decode import ss58_of

Converter = Callable[[Any], Any]

#: Integers past this are sent as text (Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1


def json_int(value: int) -> int | str:
    return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)


def _json_bytes(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _same(value: Any) -> Any:
    return value


class JsonValues:
    """JSON converters for the types of one codec's registry."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self._converters: dict[int, Converter] = {}

    def convert(self, type_id: int, value: Any) -> Any:
        return self.converter(type_id)(value)

    def converter(self, type_id: int) -> Converter:
        found = self._converters.get(type_id)
        if found is not None:
            return found

        def late(value: Any) -> Any:
            return self._converters[type_id](value)

        self._converters[type_id] = late
        compiled = self._compile(type_id)
        self._converters[type_id] = compiled
        return compiled

    def fields(self, fields: list[dict[str, Any]]) -> Converter:
        """A variant's or struct's fields as the codec decodes them: an object when all are
        named, else a list (one unnamed field, decoded bare, in a list of one)."""
        if not fields:
            return lambda value: {}
        converters = [self.converter(f["type"]) for f in fields]
        if all(f["name"] for f in fields):
            named = [(f["name"], c) for f, c in zip(fields, converters, strict=True)]
            return lambda value: {name: convert(value[name]) for name, convert in named}
        if len(converters) == 1:
            only = converters[0]
            return lambda value: [only(value)]
        return lambda value: [c(v) for c, v in zip(converters, value, strict=True)]

    def _compile(self, type_id: int) -> Converter:
        ty = self.codec.type_def(type_id)
        (kind, spec), *_ = ty["def"].items()
        if ty.get("path") and ty["path"][-1] == "AccountId32":
            return lambda value: ss58_of(bytes(value))
        if kind == "primitive":
            if spec in ("bool", "str", "char"):
                return _same
            return json_int
        if kind == "compact":
            return json_int
        if kind in ("sequence", "array"):
            if self.codec.type_def(spec["type"])["def"] == {"primitive": "u8"}:
                return _json_bytes
            item = self.converter(spec["type"])
            return lambda value: [item(v) for v in value]
        if kind == "tuple":
            items = [self.converter(t) for t in spec]
            if not items:
                return lambda value: None
            return lambda value: [c(v) for c, v in zip(items, value, strict=True)]
        if kind == "composite":
            fields = spec["fields"]
            if len(fields) == 1 and not fields[0]["name"]:
                return self.converter(fields[0]["type"])  # a newtype: its inner value
            return self.fields(fields)
        if kind == "variant":
            return self._variant(ty, spec["variants"])
        return _same

    def _variant(self, ty: dict[str, Any], variants: list[dict[str, Any]]) -> Converter:
        if ty.get("path") == ["Option"]:
            some = variants[1]["fields"]
            inner = self.converter(some[0]["type"]) if len(some) == 1 else self.fields(some)
            return lambda value: None if value is None else inner(value)
        by_name: dict[str, Converter] = {}
        for variant in variants:
            fields = variant["fields"]
            if len(fields) == 1 and not fields[0]["name"]:
                by_name[variant["name"]] = self.converter(fields[0]["type"])
            else:
                by_name[variant["name"]] = self.fields(fields)

        def convert(value: Any) -> Any:
            if isinstance(value, str):
                return value
            ((name, inner),) = value.items()
            return {name: by_name[name](inner)}

        return convert
