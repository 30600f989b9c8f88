"""`hyperparameters { all }` over HTTP from the simnet, and `setHyperparameter` of every
per-subnet `AdminUtils.sudo_set_*` call the runtime metadata has (computed from the metadata
here, so a call a new runtime adds is covered): each accepted call reads back what it set,
from the hyperparameters or from the storage item the runtime keeps it in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from turbobt import Bittensor

from pylon_gql.runtime_metadata import decoded
from pylon_gql.simnet.runtime import get_runtime

from .test_weights_chain import BOB, NETUID, OWNER, Chain, chain_server

pytestmark = pytest.mark.timeout(600)

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

ALL = """query ($b: Int) { hyperparameters(block: $b) {
  tempo all { name field type value } tempoValue: value(name: "tempo") } }"""

SET = """mutation ($name: String!, $value: JSON!) {
  setHyperparameter(name: $name, value: $value) {
    __typename
    ... on SetHyperparameterSuccess {
      block { number } call value hyperparameters { all { name value } }
    }
    ... on ValidationError { message }
    ... on ChainRejected { message reason }
  }
}"""


def _metadata() -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    v15 = decoded(get_runtime().metadata_bytes).v15
    types = {entry["id"]: entry["type"] for entry in v15["types"]["types"]}
    return types, v15


def _kind(types: dict[int, dict[str, Any]], type_id: int) -> Any:
    """An argument's kind, read from its type: an int or bool primitive (through newtypes such
    as TaoCurrency), `account`, the variant names of a field-less enum, else `unsupported`."""
    ty = types[type_id]
    definition = ty["def"]
    if ty.get("path") and ty["path"][-1] == "AccountId32":
        return "account"
    if "primitive" in definition:
        return definition["primitive"]
    if "composite" in definition and len(definition["composite"]["fields"]) == 1:
        return _kind(types, definition["composite"]["fields"][0]["type"])
    if "variant" in definition and ty.get("path") != ["Option"]:
        variants = definition["variant"]["variants"]
        if all(not v["fields"] for v in variants):
            return tuple(v["name"] for v in variants)
    return "unsupported"


def subnet_calls() -> dict[str, dict[str, Any]]:
    """Every `AdminUtils.sudo_set_*` call taking a netuid: its other arguments' kinds."""
    types, v15 = _metadata()
    pallet = next(p for p in v15["pallets"] if p["name"] == "AdminUtils")
    calls: dict[str, dict[str, Any]] = {}
    for variant in types[pallet["calls"]["ty"]]["def"]["variant"]["variants"]:
        names = [f["name"] for f in variant["fields"]]
        if variant["name"].startswith("sudo_set_") and "netuid" in names:
            calls[variant["name"]] = {
                f["name"]: _kind(types, f["type"])
                for f in variant["fields"]
                if f["name"] != "netuid"
            }
    return calls


CALLS = subnet_calls()
UNSUPPORTED = {name for name, args in CALLS.items() if "unsupported" in args.values()}


def candidate(kind: Any, turn: int, position: int) -> Any:
    """A valid value of `kind`, a different one at each turn (so one of two turns changes what
    the chain held); arguments of one call differ by their position."""
    if kind == "bool":
        return turn == 0
    if kind == "account":
        return (BOB, ALICE)[turn]
    if isinstance(kind, tuple):
        return kind[-1 - turn]  # the last variant first: not the default
    return 2 + 2 * position + turn  # small: valid for every int kind


def value_of(args: dict[str, Any], turn: int) -> Any:
    values = {name: candidate(kind, turn, i) for i, (name, kind) in enumerate(args.items())}
    return next(iter(values.values())) if len(values) == 1 else values


def wrong_kind(kind: Any) -> Any:
    if kind == "bool":
        return 1
    if kind == "account":
        return "5Fake"
    if isinstance(kind, tuple):
        return "NoSuchVariant"
    return "fast"


def jsonable(value: Any) -> Any:
    """turbobt's decode of a field, as the server serves it in JSON."""
    if isinstance(value, dict) and set(value) == {"bits"}:
        return value["bits"] / 2**32
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return value if abs(value) < 2**53 else str(value)


@pytest.fixture(scope="module")
async def chain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chain]:
    async with chain_server(
        tmp_path_factory.mktemp("all-hyperparameters"), auto_commit=False
    ) as running:
        yield running


def test_the_metadata_has_calls_of_every_kind() -> None:
    kinds = {
        kind if isinstance(kind, str) else "enum"
        for args in CALLS.values()
        for kind in args.values()
    }
    assert {"bool", "u16", "u64", "account", "enum", "unsupported"} <= kinds, kinds


async def test_all_equals_turbobts_decode_field_for_field(chain: Chain) -> None:
    await chain.synced()
    head = (await chain.post("{ head { number hash } }"))["data"]["head"]
    answer = await chain.post(ALL, {"b": head["number"]})
    assert "errors" not in answer, answer
    got = answer["data"]["hyperparameters"]
    async with Bittensor(chain.simnet.url) as bt:
        raw: Any = await bt.subtensor.subnet_info.get_subnet_hyperparams_v2(
            NETUID, block_hash=head["hash"]
        )
    assert [v["name"] for v in got["all"]] == list(raw)
    assert {v["name"]: v["value"] for v in got["all"]} == {k: jsonable(v) for k, v in raw.items()}
    types, _ = _metadata()
    method = get_runtime().methods["SubnetInfoRuntimeApi_get_subnet_hyperparams_v2"]
    (some,) = types[method.output]["def"]["variant"]["variants"][1]["fields"]
    fields = types[some["type"]]["def"]["composite"]["fields"]
    assert [v["type"] for v in got["all"]] == [f["typeName"] for f in fields]
    by_name = {v["name"]: v for v in got["all"]}
    assert by_name["max_weights_limit"]["field"] == "maxWeightsLimit"
    assert by_name["alpha_sigmoid_steepness"]["type"] == "I32F32"
    assert got["tempoValue"] == got["tempo"] == raw["tempo"]
    # every field the schema types is one of the runtime's, named alike
    assert all(v["field"] is not None for v in got["all"]), got["all"]


async def test_an_unknown_name_names_the_closest(chain: Chain) -> None:
    answer = await chain.post('{ hyperparameters { value(name: "tempoo") } }')
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "'tempo'" in error["message"], error


async def test_a_value_of_the_wrong_kind_changes_nothing(chain: Chain) -> None:
    await chain.synced()
    before = await chain.post("{ head { number } hyperparameters { all { name value } } }")
    tried = set()
    for name, args in CALLS.items():
        kinds = tuple(args.values())
        if len(kinds) != 1 or name in UNSUPPORTED:
            continue
        kind = kinds[0] if isinstance(kinds[0], str) else "enum"
        if kind in tried:
            continue
        tried.add(kind)
        answer = await chain.post(SET, {"name": name, "value": wrong_kind(kinds[0])}, OWNER)
        done = answer["data"]["setHyperparameter"]
        assert done["__typename"] == "ValidationError", (name, done)
        assert name in done["message"], done
    assert {"bool", "account", "enum", "u16"} <= tried
    after = await chain.post("{ head { number } hyperparameters { all { name value } } }")
    assert after == before  # nothing signed: no block, nothing changed


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_set_hyperparameter_of_each_call_reads_back_what_it_set(
    chain: Chain, name: str
) -> None:
    args = CALLS[name]
    if name in UNSUPPORTED:
        answer = await chain.post(SET, {"name": name, "value": 1}, OWNER)
        done = answer["data"]["setHyperparameter"]
        assert done["__typename"] == "ValidationError", done
        assert "cannot set" in done["message"] and name in done["message"], done
        return
    for turn in (0, 1):
        value = value_of(args, turn)
        answer = await chain.post(SET, {"name": name, "value": value}, OWNER)
        assert "errors" not in answer, answer
        done = answer["data"]["setHyperparameter"]
        assert done["__typename"] == "SetHyperparameterSuccess", (name, value, done)
        assert done["call"] == name
        assert done["value"] is not None, (name, done)
        assert done["value"] == value, (name, value, done)


async def test_the_refused_calls_are_exactly_those_of_an_unsupported_kind(chain: Chain) -> None:
    refused = set()
    for name, args in CALLS.items():
        answer = await chain.post(SET, {"name": name, "value": value_of(args, 0)}, OWNER)
        if answer["data"]["setHyperparameter"]["__typename"] == "ValidationError":
            refused.add(name)
    assert refused == UNSUPPORTED
    assert "sudo_set_mechanism_emission_split" in refused


async def test_the_readmes_example_of_all_answers(chain: Chain) -> None:
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    [example] = [
        block[: block.index("```")]
        for block in text.split("```graphql\n")[1:]
        if "all { name field type value }" in block[: block.index("```")]
    ]
    answer = await chain.post(example)
    assert "errors" not in answer, answer
    got = answer["data"]["hyperparameters"]
    steepness = next(v for v in got["all"] if v["name"] == "alpha_sigmoid_steepness")
    assert got["steepness"] == steepness["value"] and steepness["field"] is not None
