"""The hyperparameters `get_subnet_hyperparams_v2` adds (yuma version, sigmoid steepness, the
toggles), read over HTTP from the simnet and set by the owner with `setHyperparameter`: each
call behind one of them reads back what it set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from turbobt import Bittensor

from .test_weights_chain import NETUID, OWNER, Chain, chain_server

pytestmark = pytest.mark.timeout(300)

V2_FIELDS = """alphaSigmoidSteepness yumaVersion yuma3Enabled subnetIsActive transfersEnabled
    bondsResetEnabled userLiquidityEnabled"""

SET = (
    """mutation ($name: String!, $value: JSON!) {
  setHyperparameter(name: $name, value: $value) {
    __typename
    ... on SetHyperparameterSuccess { block { number } call value hyperparameters { FIELDS } }
    ... on ValidationError { message }
    ... on ChainRejected { message reason }
  }
}"""
).replace("FIELDS", V2_FIELDS)


@pytest.fixture(scope="module")
async def chain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chain]:
    async with chain_server(tmp_path_factory.mktemp("hyperparameters")) as running:
        yield running


async def test_the_v2_fields_equal_turbobts_read(chain: Chain) -> None:
    await chain.synced()
    head = (await chain.post("{ head { number hash } }"))["data"]["head"]
    answer = await chain.post(
        f"query ($b: Int) {{ hyperparameters(block: $b) {{ {V2_FIELDS} }} }}",
        {"b": head["number"]},
    )
    assert "errors" not in answer, answer
    got = answer["data"]["hyperparameters"]
    async with Bittensor(chain.simnet.url) as bt:
        raw: Any = await bt.subtensor.subnet_info.get_subnet_hyperparams_v2(
            NETUID, block_hash=head["hash"]
        )
    assert got == {
        "alphaSigmoidSteepness": raw["alpha_sigmoid_steepness"]["bits"] / 2**32,
        "yumaVersion": raw["yuma_version"],
        "yuma3Enabled": raw["yuma_version"] >= 3,
        "subnetIsActive": raw["subnet_is_active"],
        "transfersEnabled": raw["transfers_enabled"],
        "bondsResetEnabled": raw["bonds_reset_enabled"],
        "userLiquidityEnabled": raw["user_liquidity_enabled"],
    }
    assert None not in got.values()


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("yuma3_enabled", True, {"yumaVersion": 3, "yuma3Enabled": True}),
        ("yuma3_enabled", False, {"yumaVersion": 2, "yuma3Enabled": False}),
        ("alpha_sigmoid_steepness", 700, {"alphaSigmoidSteepness": 700.0}),
        ("toggle_transfer", False, {"transfersEnabled": False}),
        ("bonds_reset_enabled", True, {"bondsResetEnabled": True}),
    ],
)
async def test_set_hyperparameter_reads_back_what_it_set(
    chain: Chain, name: str, value: object, shown: dict[str, object]
) -> None:
    answer = await chain.post(SET, {"name": name, "value": value}, OWNER)
    assert "errors" not in answer, answer
    done = answer["data"]["setHyperparameter"]
    assert done["__typename"] == "SetHyperparameterSuccess", done
    assert done["value"] == value, done  # not null: the field behind the call is served
    for field, want in shown.items():
        assert done["hyperparameters"][field] == want, (field, done)
    # and a read at the block it landed in agrees
    read = await chain.post(
        f"query ($b: Int) {{ hyperparameters(block: $b) {{ {V2_FIELDS} }} }}",
        {"b": done["block"]["number"]},
    )
    assert read["data"]["hyperparameters"] == done["hyperparameters"]
