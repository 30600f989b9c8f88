"""The runtime's hyperparameter answer read by its metadata type: every field of the struct the
metadata describes is kept, a field no code names included (spec 318's registry, with one
field added to `SubnetHyperparamsV2` as a newer runtime would)."""

from __future__ import annotations

import copy
from typing import Any

from pylon_gql.chain.hyperparameter_fields import HyperparameterAnswer
from pylon_gql.runtime_metadata import decoded
from pylon_gql.scale import Codec
from pylon_gql.schema.hyperparameter_values import HyperparameterValue
from pylon_gql.simnet.hyperparameters import simnet_hyperparameters
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.snapshot import get_snapshot

METHOD = "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2"


def _spec_318() -> tuple[dict[int, dict[str, Any]], int]:
    """The registry's types by id, and the answer's type (Option<SubnetHyperparamsV2>)."""
    runtime = get_runtime()
    v15 = decoded(runtime.metadata_bytes).v15
    types = {entry["id"]: entry["type"] for entry in v15["types"]["types"]}
    return types, runtime.methods[METHOD].output


def _answer() -> dict[str, Any]:
    return simnet_hyperparameters(get_snapshot(get_runtime()).mechagraph)


def _struct(types: dict[int, dict[str, Any]], output: int) -> dict[str, Any]:
    (some,) = types[output]["def"]["variant"]["variants"][1]["fields"]
    return types[some["type"]]


def test_every_field_of_the_answer_is_kept_with_its_type_name() -> None:
    types, output = _spec_318()
    codec = Codec(types)
    raw: dict[str, Any] = _answer() | {"weights_version": 2**60}
    model = HyperparameterAnswer(codec, output).read(codec.encode(output, raw))
    assert model is not None
    fields = _struct(types, output)["def"]["composite"]["fields"]
    assert [(v.name, v.type) for v in model.runtime_fields] == [
        (f["name"], f["typeName"]) for f in fields
    ]
    shown = {v.name: v.value for v in model.runtime_fields}
    assert shown["tempo"] == raw["tempo"] == model.tempo
    assert shown["registration_allowed"] is raw["registration_allowed"]
    # I32F32 as a number; a u64 beyond JavaScript's exact range as text, typed in full
    assert shown["alpha_sigmoid_steepness"] == raw["alpha_sigmoid_steepness"]["bits"] / 2**32
    assert shown["weights_version"] == str(2**60) and model.weights_version == 2**60


def test_a_field_a_newer_runtime_adds_is_served_without_a_code_change() -> None:
    types, output = _spec_318()
    newer = copy.deepcopy(types)
    struct = _struct(newer, output)
    fields = struct["def"]["composite"]["fields"]
    tempo = next(f for f in fields if f["name"] == "tempo")  # Compact<u16>
    flag = next(f for f in fields if f["name"] == "subnet_is_active")  # bool
    fields.insert(5, {**tempo, "name": "owner_cut_blocks", "docs": []})
    fields.append({**flag, "name": "future_toggle", "docs": []})
    codec = Codec(newer)
    raw = _answer() | {"owner_cut_blocks": 4321, "future_toggle": True}
    model = HyperparameterAnswer(codec, output).read(codec.encode(output, raw))
    assert model is not None
    names = [v.name for v in model.runtime_fields]
    assert names[5] == "owner_cut_blocks" and names[-1] == "future_toggle"
    added = {v.name: v for v in model.runtime_fields if v.name in raw and v.name[0] in "of"}
    assert (added["owner_cut_blocks"].type, added["owner_cut_blocks"].value) == (
        "Compact<u16>",
        4321,
    )
    assert (added["future_toggle"].type, added["future_toggle"].value) == ("bool", True)
    # the typed fields read as before; the schema shows the new ones without a typed field
    assert model.tempo == raw["tempo"]
    served = {v.name: HyperparameterValue.from_model(v) for v in model.runtime_fields}
    assert served["owner_cut_blocks"].field is None
    assert served["max_weights_limit"].field == "maxWeightsLimit"


def test_no_subnet_reads_as_none() -> None:
    types, output = _spec_318()
    codec = Codec(types)
    assert HyperparameterAnswer(codec, output).read(codec.encode(output, None)) is None
