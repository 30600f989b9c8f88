"""`pylon_gql_client.partial`: a neuron with the fields asked for, typed by which ones, at run
time and under pyright (the blocking client and the fake give the same types)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pylon_gql_client import Neuron, NeuronField, PartialNeuron
from pylon_gql_client.partial import attributes
from pylon_gql_client.testing import FakeAsyncPylonClient, FakePylonClient

from .test_readme import pyright


@pytest.fixture
def neuron() -> Neuron:
    return FakePylonClient().neurons(first=1)[0]


def test_the_fields_asked_for_in_either_spelling(neuron: Neuron) -> None:
    partial = PartialNeuron.of(neuron, ["hotkey", "validatorTrust", "stake_rao"])
    assert partial.fields == {"uid", "block", "hotkey", "validator_trust", "stake_rao"}
    assert (partial.uid, partial.block, partial.hotkey) == (neuron.uid, neuron.block, neuron.hotkey)
    assert (partial.validator_trust, partial.stake_rao) == (
        neuron.validator_trust,
        neuron.stake_rao,
    )
    assert partial.model_dump(mode="json", by_alias=True)["stakeRao"] == str(neuron.stake_rao)
    assert partial == PartialNeuron.of(neuron, ("validator_trust", "stakeRao", "hotkey"))
    assert partial != PartialNeuron.of(neuron, ["hotkey"])


def test_a_field_not_asked_for_is_an_attribute_error(neuron: Neuron) -> None:
    partial = PartialNeuron.of(neuron, ["hotkey"])
    with pytest.raises(AttributeError, match=r"`stake` was not asked for: add it to neurons"):
        _ = partial.stake  # type: ignore[reportAttributeAccessIssue]
    assert not hasattr(partial, "coldkey")


def test_names_that_are_no_field_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="stakee"):
        attributes(["stakee"])
    with pytest.raises(TypeError, match="not one string"):
        attributes("hotkey")
    fake = FakePylonClient()
    with pytest.raises(ValueError, match="validatorTrusts"):
        fake.neurons(fields=["validatorTrusts"])  # type: ignore[reportArgumentType]
    assert fake.calls_to("neurons") == []


async def test_a_list_of_names_built_at_run_time() -> None:
    chosen: list[NeuronField] = ["hotkey", "dividends"]
    [partial] = await FakeAsyncPylonClient().neurons(first=1, fields=chosen)
    assert partial.fields == {"uid", "block", "hotkey", "dividends"}


TYPED = """\
from typing import Literal, assert_type

from pylon_gql_client import AsyncPylonClient, BlockRef, Neuron, PartialNeuron, PylonClient
from pylon_gql_client.testing import FakeAsyncPylonClient, FakePylonClient


async def reads(aio: AsyncPylonClient, fake: FakeAsyncPylonClient) -> None:
    for api in (aio, fake):
        [one] = await api.neurons(fields=["hotkey", "validatorTrust"])
        assert_type(one.hotkey, str)
        assert_type(one.validator_trust, float)
        assert_type(one.block, BlockRef)
        assert_type(one.uid, int)
        assert_type(await api.neurons(), list[Neuron])
        fewer: PartialNeuron[Literal["hotkey"]] = one  # more fields fit where fewer are asked
        print(fewer)


def blocking(sync: PylonClient, fake: FakePylonClient) -> None:
    for api in (sync, fake):
        [one] = api.neurons(1, fields=("axon", "pruningScore"), first=1)
        assert_type(one.axon.port, int)
        assert_type(one.pruning_score, int)
"""
WRONG = """\
from pylon_gql_client import AsyncPylonClient, PylonClient


async def reads(aio: AsyncPylonClient, sync: PylonClient) -> None:
    [one] = await aio.neurons(fields=["hotkey"])
    print(one.stake)
    [two] = sync.neurons(fields={"stake"})
    print(two.hotkey)
    await aio.neurons(fields=["stakee"])
"""


def test_pyright_types_what_was_asked_for_and_refuses_the_rest(tmp_path: Path) -> None:
    typed, wrong = tmp_path / "typed.py", tmp_path / "wrong.py"
    typed.write_text(TYPED, encoding="utf-8")
    wrong.write_text(WRONG, encoding="utf-8")
    errors = pyright([typed, wrong])
    lines = sorted((Path(e["file"]).name, e["range"]["start"]["line"] + 1) for e in errors)
    # Each of the three wrong lines (a field not asked for, twice; a name that is no field).
    assert [name for name, _ in lines] == ["wrong.py"] * len(lines), errors
    assert sorted({line for _, line in lines}) == [6, 8, 9], errors
