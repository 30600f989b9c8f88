"""Epochs ahead over HTTP, on the simnet: `epoch(block:)` past the head is predicted from the
head's tempo, and equals the real epoch once the chain gets there."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import PATIENCE, Served

pytestmark = pytest.mark.timeout(300)

EPOCH = """query ($b: Int, $n: Int) { epoch(block: $b, netuid: $n) {
    block { number } forBlock predicted netuid tempo index start end blocksRemaining
    commitWindow { start end open } } }"""


async def head_number(served: Served) -> int:
    return (await served.query("{ head { number } }"))["data"]["head"]["number"]


async def test_a_predicted_epoch_equals_the_real_one_once_the_chain_gets_there(
    served: Served,
) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    head = await head_number(served)
    ahead = head + 3
    predicted = {n: await served.query(EPOCH, {"b": ahead, "n": n}) for n in (1, 2)}
    for netuid, answer in predicted.items():
        assert "errors" not in answer, answer
        epoch = answer["data"]["epoch"]
        assert epoch["predicted"] is True
        assert epoch["block"]["number"] == head  # predicted from the head's tempo
        assert epoch["forBlock"] == ahead
        assert epoch["netuid"] == netuid
        assert epoch["start"] <= ahead <= epoch["end"]
        assert epoch["blocksRemaining"] == epoch["end"] + 1 - ahead
    # the chain gets there
    await simnet.produce_blocks(3 + simnet.config.finality_lag)
    async with asyncio.timeout(PATIENCE):
        while await head_number(served) < ahead:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    for netuid, answer in predicted.items():
        real = await served.query(EPOCH, {"b": ahead, "n": netuid})
        assert "errors" not in real, real
        got = real["data"]["epoch"]
        assert got["predicted"] is False
        assert got["block"]["number"] == got["forBlock"] == ahead
        want = dict(answer["data"]["epoch"], predicted=False, block={"number": ahead})
        assert got == want


async def test_a_far_block_is_predicted_and_a_negative_one_refused(served: Served) -> None:
    head = await head_number(served)
    far = await served.query(EPOCH, {"b": head + 100_000})
    assert "errors" not in far, far
    epoch = far["data"]["epoch"]
    assert epoch["predicted"] is True
    tempo = epoch["tempo"]
    # subtensor runs subnet 1's epoch where (block + 1 + 1) % (tempo + 1) == 0 ... its start
    assert (epoch["start"] + 1 + 1) % (tempo + 1) == tempo
    assert epoch["end"] - epoch["start"] == tempo
    # a block at or below the head is not predicted
    now = await served.query(EPOCH, {"b": head})
    assert now["data"]["epoch"]["predicted"] is False
    negative = await served.query(EPOCH, {"b": -1})
    assert negative["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


NEXT = """query ($b: Int, $n: Int) { epoch(block: $b, netuid: $n) { end tempo
    next { block { number } forBlock predicted netuid tempo index start end blocksRemaining
      commitWindow { start end open } next { predicted start end } } } }"""


async def test_next_is_the_epoch_after_and_comes_true_when_the_chain_gets_there(
    served: Served,
) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    head = await head_number(served)
    listed = await served.query("{ subnets { netuid epoch { blocksRemaining } } }")
    soonest = min(
        (s for s in listed["data"]["subnets"] if s["netuid"] and s["epoch"]),
        key=lambda s: s["epoch"]["blocksRemaining"],
    )
    netuid = soonest["netuid"]
    answer = await served.query(NEXT, {"b": head, "n": netuid})
    assert "errors" not in answer, answer
    epoch = answer["data"]["epoch"]
    predicted = epoch["next"]
    start = epoch["end"] + 1
    assert predicted["start"] == start == predicted["forBlock"]
    assert predicted["end"] == start + epoch["tempo"]
    assert predicted["predicted"] is True and predicted["block"] == {"number": head}
    assert predicted["next"] == {
        "predicted": True,
        "start": predicted["end"] + 1,
        "end": predicted["end"] + 1 + epoch["tempo"],
    }
    # what `epoch(block:)` predicts for that block
    ahead = await served.query(EPOCH, {"b": start, "n": netuid})
    without_next = {key: value for key, value in predicted.items() if key != "next"}
    assert ahead == {"data": {"epoch": without_next}}

    # the chain gets there
    await simnet.produce_blocks(start - head + simnet.config.finality_lag)
    async with asyncio.timeout(PATIENCE):
        while await head_number(served) < start:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    real = dict(without_next, predicted=False, block={"number": start})
    got = await served.query(EPOCH, {"b": start, "n": netuid})
    assert got == {"data": {"epoch": real}}
    # and the same epoch's `next` is now the real one
    again = await served.query(NEXT, {"b": head, "n": netuid})
    assert "errors" not in again, again
    assert {k: v for k, v in again["data"]["epoch"]["next"].items() if k != "next"} == real
    # as `subnet` and `subnets` give it (the list reads its tempos from the list at that block)
    fields = " ".join(key for key in real if key not in ("block", "commitWindow"))
    both = await served.query(
        f"""query ($b: Int, $n: Int!) {{
          subnet(block: $b, netuid: $n) {{ epoch {{ next {{ {fields} block {{ number }}
            commitWindow {{ start end open }} }} }} }}
          subnets(block: $b, where: {{netuids: [$n]}}) {{ epoch {{ next {{ {fields}
            block {{ number }} commitWindow {{ start end open }} }} }} }} }}""",
        {"b": head, "n": netuid},
    )
    assert "errors" not in both, both
    assert both["data"]["subnet"]["epoch"]["next"] == real
    assert both["data"]["subnets"] == [{"epoch": {"next": real}}]
