"""Blocks, the head and epochs over HTTP as the simnet produces blocks."""

from __future__ import annotations

import asyncio

from . import snapshot
from .conftest import PATIENCE, Served

BLOCK_FIELDS = "number hash parentHash timestamp"


async def head_number(served: Served) -> int:
    answer = await served.query("{ head { number } }")
    return answer["data"]["head"]["number"]


async def produce(served: Served, blocks: int) -> int:
    """Produce `blocks` blocks; wait until the server's head is the simnet's finalized head."""
    simnet = served.services.simnet
    assert simnet is not None
    await simnet.produce_blocks(blocks)
    finalized = simnet.finalized_number
    async with asyncio.timeout(PATIENCE):
        # polling the server over HTTP, as a client would: there is no event to wait on
        while (now := await head_number(served)) < finalized:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert now == finalized
    return now


async def test_head_advances_as_the_simnet_produces_blocks(served: Served) -> None:
    start = await head_number(served)
    assert start >= snapshot.NUMBER
    # the simnet finalizes two blocks behind its best block
    await produce(served, 2)
    head = await produce(served, 3)
    assert head == await head_number(served) >= start + 3
    chain = await served.query("{ chain { simulated network head { number } headAgeSeconds } }")
    assert chain["data"]["chain"]["simulated"] is True
    assert chain["data"]["chain"]["network"] == "sim"
    assert chain["data"]["chain"]["head"] == {"number": head}
    assert chain["data"]["chain"]["headAgeSeconds"] >= 0


async def test_block_by_number_and_by_hash_agree(served: Served) -> None:
    head = await produce(served, 2)
    for number in (snapshot.NUMBER, head - 1, head):
        by_number = await served.query(
            f"query($n: Int) {{ block(number: $n) {{ {BLOCK_FIELDS} }} }}", {"n": number}
        )
        block = by_number["data"]["block"]
        by_hash = await served.query(
            f"query($h: String) {{ block(hash: $h) {{ {BLOCK_FIELDS} }} }}", {"h": block["hash"]}
        )
        assert by_hash == by_number
        assert block["number"] == number
    parent = await served.query("query($n: Int) { block(number: $n) { hash } }", {"n": head - 1})
    child = await served.query("query($n: Int) { block(number: $n) { parentHash } }", {"n": head})
    assert child["data"]["block"]["parentHash"] == parent["data"]["block"]["hash"]
    snap = await served.query(
        "query($n: Int) { block(number: $n) { hash } }", {"n": snapshot.NUMBER}
    )
    assert snap["data"]["block"]["hash"] == snapshot.HASH


async def test_an_unknown_block_hash_is_null(served: Served) -> None:
    answer = await served.query(
        "query($h: String) { block(hash: $h) { number } }", {"h": "0x" + "12" * 32}
    )
    assert answer == {"data": {"block": None}}


async def test_epochs_follow_the_subtensor_formula(served: Served) -> None:
    head = await produce(served, 4)
    netuid = 1
    for number in range(head - 4, head + 1):
        answer = await served.query(
            """query($b: Int) {
                hyperparameters(block: $b) { tempo }
                epoch(block: $b) { block { number } netuid tempo start end blocksRemaining
                    commitWindow { start end open } } }""",
            {"b": number},
        )
        tempo = answer["data"]["hyperparameters"]["tempo"]
        epoch = answer["data"]["epoch"]
        assert epoch["tempo"] == tempo > 0
        assert epoch["block"] == {"number": number}
        assert epoch["netuid"] == netuid
        # subtensor runs the epoch where blocks_until_next_epoch is 0: an epoch starts there
        until = tempo - (number + netuid + 1) % (tempo + 1)
        if until == 0:
            assert epoch["start"] == number
        else:
            assert epoch["end"] + 1 == number + until
        assert tempo - (epoch["start"] + netuid + 1) % (tempo + 1) == 0
        assert epoch["start"] <= number <= epoch["end"] == epoch["start"] + tempo
        assert epoch["blocksRemaining"] == epoch["end"] + 1 - number
        window = epoch["commitWindow"]
        settings = served.services.settings
        assert window["start"] == epoch["start"] + settings.commit_window_start_offset
        assert window["end"] == epoch["end"] - settings.commit_window_end_buffer
        assert window["open"] == (window["start"] <= number <= window["end"])


async def test_every_block_taking_field_defaults_to_the_head(served: Served) -> None:
    answer = await served.query(
        """{ head { number hash }
            metagraph { block { number hash } }
            epoch { block { number hash } }
            hyperparameters { block { number hash } }
            subnet { block { number hash } name symbol ownerHotkey ownerColdkey tempo }
            commitments { block { number hash } } }"""
    )
    assert "errors" not in answer, answer
    data = answer["data"]
    head = data.pop("head")
    for name in ("metagraph", "epoch", "hyperparameters", "subnet"):
        assert data[name]["block"] == head, name
    for commitment in data["commitments"]:
        assert commitment["block"] == head
    assert (
        data["subnet"]["tempo"]
        == (await served.query("{ hyperparameters { tempo } }"))["data"]["hyperparameters"]["tempo"]
    )
