"""Hyperparameters, subnet identity and commitments of the simulated subnet, over HTTP."""

from __future__ import annotations

from .conftest import Served

BIG = {
    "minDifficulty",
    "maxDifficulty",
    "weightsVersion",
    "minBurn",
    "maxBurn",
    "bondsMovingAvg",
    "adjustmentAlpha",
    "difficulty",
}
FLAGS = {"registrationAllowed", "commitRevealWeightsEnabled", "liquidAlphaEnabled"}
NUMBERS = {
    "rho",
    "kappa",
    "immunityPeriod",
    "minAllowedWeights",
    "maxWeightsLimit",
    "tempo",
    "weightsRateLimit",
    "adjustmentInterval",
    "activityCutoff",
    "targetRegsPerInterval",
    "maxRegsPerBlock",
    "servingRateLimit",
    "maxValidators",
    "commitRevealPeriod",
    "alphaHigh",
    "alphaLow",
}


async def test_every_hyperparameter_with_its_type(served: Served) -> None:
    fields = " ".join(sorted(BIG | FLAGS | NUMBERS))
    answer = await served.query(
        f"{{ hyperparameters {{ {fields} }} subnet {{ tempo }} epoch {{ tempo }} }}"
    )
    assert "errors" not in answer, answer
    hyperparameters = answer["data"]["hyperparameters"]
    assert set(hyperparameters) == BIG | FLAGS | NUMBERS
    for name in BIG:  # u64 and rao: decimal strings, exact
        assert isinstance(hyperparameters[name], str) and hyperparameters[name].isdigit(), name
    for name in FLAGS:
        assert isinstance(hyperparameters[name], bool), name
    for name in NUMBERS:
        assert type(hyperparameters[name]) is int, name
    tempo = hyperparameters["tempo"]
    assert tempo > 0
    assert answer["data"]["subnet"]["tempo"] == answer["data"]["epoch"]["tempo"] == tempo


async def test_commitments_are_hex_and_text(served: Served) -> None:
    answer = await served.query("{ commitments { hotkey committedAt data text } }")
    commitments = answer["data"]["commitments"]
    assert commitments, "the simulated subnet has commitments"
    for commitment in commitments:
        raw = bytes.fromhex(commitment["data"].removeprefix("0x"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        assert commitment["text"] == text
    first = commitments[0]
    one = await served.query(
        "query($k: String!) { commitment(hotkey: $k) { hotkey committedAt data text } }",
        {"k": first["hotkey"]},
    )
    assert one == {"data": {"commitment": first}}
