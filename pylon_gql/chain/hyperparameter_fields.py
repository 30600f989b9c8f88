"""The runtime's hyperparameter answer (`get_subnet_hyperparams_v2`) read by its metadata type.

The answer is decoded with `pylon_gql.scale` (about twenty times faster than scalecodec, and
the follower reads it every block), and every field of the answer's struct, as the metadata
describes it, is kept with its type name and a JSON value: a field a new runtime adds is served
without a code change. The fields `models.Hyperparameters` names are typed from the same decode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..models import Hyperparameters, HyperparameterValue
from ..scale import Codec
from .decode import hyperparameters_from_raw
from .json_values import JsonValues, json_int

#: A fixed-point type name (`I32F32`, `U64F64`): signedness, integer bits, fractional bits.
_FIXED = re.compile(r"^([IU])(\d+)F(\d+)$")


@dataclass(frozen=True, slots=True)
class FieldType:
    """How one field of the answer's struct is served."""

    name: str
    #: As the metadata names it (the field's `typeName`, else one made from its type).
    type_name: str
    to_json: Callable[[Any], Any]


class HyperparameterAnswer:
    """One runtime's hyperparameter answer: `Option<SubnetHyperparamsV2>` (or whatever struct
    the method's output type holds), compiled once per runtime."""

    def __init__(self, codec: Codec, output_type: int) -> None:
        self._decode = codec.decoder(output_type)
        self.fields = _struct_fields(codec, output_type)

    def read(self, data: bytes) -> Hyperparameters | None:
        """The model of an answer's bytes; None when the runtime answered `None` (no subnet)."""
        raw, _ = self._decode(data, 0)
        if raw is None:
            return None
        return hyperparameters_from_raw(raw, self.runtime_fields(raw))

    def runtime_fields(self, raw: dict[str, Any]) -> tuple[HyperparameterValue, ...]:
        """Every field of a decoded answer, in the struct's order."""
        return tuple(
            HyperparameterValue(f.name, f.type_name, f.to_json(raw[f.name]))
            for f in self.fields
            if f.name in raw
        )


def _struct_fields(codec: Codec, output_type: int) -> tuple[FieldType, ...]:
    ty = codec.type_def(output_type)
    if ty.get("path") == ["Option"]:  # Option<Struct>: the struct of `Some`
        (some,) = ty["def"]["variant"]["variants"][1]["fields"]
        ty = codec.type_def(some["type"])
    composite = ty["def"].get("composite")
    if composite is None:
        raise ValueError(f"the hyperparameter answer is no struct: {ty['def']}")
    json = JsonValues(codec)
    return tuple(
        FieldType(f["name"], type_name(codec, f), _to_json(codec, json, f))
        for f in composite["fields"]
    )


def type_name(codec: Codec, field: dict[str, Any]) -> str:
    """A field's type as the metadata names it: its `typeName` (`Compact<u16>`, `I32F32`),
    or, when the metadata leaves that out, a name made from the type itself."""
    if field.get("typeName"):
        return str(field["typeName"])
    return described_type(codec, field["type"])


def described_type(codec: Codec, type_id: int) -> str:
    """A type's name made from its definition: `u16`, `Compact<u64>`, `Vec<u8>`, a path's
    last part (`AccountId32`, `RecycleOrBurnEnum`)."""
    ty = codec.type_def(type_id)
    (kind, spec), *_ = ty["def"].items()
    if kind == "primitive":
        return str(spec)
    if kind == "compact":
        return f"Compact<{described_type(codec, spec['type'])}>"
    if kind == "sequence":
        return f"Vec<{described_type(codec, spec['type'])}>"
    if kind == "array":
        return f"[{described_type(codec, spec['type'])}; {spec['len']}]"
    if kind == "tuple":
        return "(" + ", ".join(described_type(codec, t) for t in spec) + ")"
    if ty.get("path"):
        return str(ty["path"][-1])
    return kind


def _to_json(codec: Codec, json: JsonValues, field: dict[str, Any]) -> Callable[[Any], Any]:
    fixed = _FIXED.match(str(field.get("typeName") or ""))
    if fixed is not None:
        scale = 2 ** int(fixed.group(3))
        return lambda value: int(value["bits"]) / scale
    ty = codec.type_def(field["type"])
    if ty["def"] == {"primitive": "bool"}:
        return bool
    if "compact" in ty["def"] or ("primitive" in ty["def"] and ty["def"]["primitive"][0] in "ui"):
        return lambda value: json_int(int(value))
    return json.converter(field["type"])
