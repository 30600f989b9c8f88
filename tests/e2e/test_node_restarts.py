"""The server follows its node wherever it goes: down (/health 503 at once), back from an
earlier state (the head goes back with it, and /health says so), or another chain behind the
same URL (its blocks, not the old chain's, answer for their numbers). Meanwhile no answer says
NOT_FOUND for the server's own head."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, free_port, graphql, running, settings_for
from .test_subscriptions import new_block, session

#: The head, and a read at it that no cache holds (a commitment of a hotkey never asked for).
AT_HEAD = """query ($hotkey: String!) {
  head { number hash }
  commitment(hotkey: $hotkey) { hotkey }
}"""


async def health_until(client: httpx.AsyncClient, code: int, **wanted: Any) -> dict[str, Any]:
    """/health once it answers `code` with a body that has the `wanted` values."""
    async with asyncio.timeout(PATIENCE):
        while True:
            response = await client.get("/health")
            body = response.json()
            if response.status_code == code and all(body.get(k) == v for k, v in wanted.items()):
                return body
            await asyncio.sleep(0.05)


@contextlib.contextmanager
def asking_at_the_head(client: httpx.AsyncClient) -> Iterator[list[dict[str, Any]]]:
    """Ask for the head, a fresh read at it, and the block of the head's own hash, again and
    again while inside; every answer (`own` is that block's answer)."""
    answers: list[dict[str, Any]] = []

    async def ask() -> None:
        while True:
            hotkey = ss58_encode(os.urandom(32).hex(), 42)
            answer = await graphql(client, AT_HEAD, {"hotkey": hotkey})
            head = (answer.get("data") or {}).get("head")
            if head is not None:
                answer["own"] = await graphql(
                    client, "query ($h: String) { block(hash: $h) { number } }", {"h": head["hash"]}
                )
            answers.append(answer)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(ask())
    try:
        yield answers
    finally:
        task.cancel()


def codes(answers: list[dict[str, Any]]) -> set[str]:
    found = set()
    for answer in answers:
        for one in (answer, answer.get("own", {})):
            found |= {e["extensions"]["code"] for e in one.get("errors", [])}
    return found


@contextlib.asynccontextmanager
async def subscribed_to_new_blocks(url: str) -> AsyncIterator[list[int]]:
    """The numbers a `newBlock` subscriber gets while inside (subscribed before it returns)."""
    numbers: list[int] = []
    ws = url.replace("http://", "ws://") + "/graphql"
    async with session(ws) as subscriber:
        stream = subscriber.subscribe(new_block(None))
        started = asyncio.Event()

        async def read() -> None:
            started.set()
            async for result in stream:
                numbers.append(result["newBlock"]["number"])

        task = asyncio.create_task(read())
        await started.wait()
        await asyncio.sleep(0.5)  # the subscription is set up on the server
        try:
            yield numbers
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def node_at(port: int, *, seed: int = 0, blocks: int = 0) -> AsyncIterator[Simnet]:
    node = Simnet(SimnetConfig(port=port, manual=True, finality_lag=0, seed=seed))
    await node.start()
    try:
        await node.produce_blocks(blocks)
        yield node
    finally:
        await node.stop()


async def test_a_node_down_then_back_from_an_earlier_state(tmp_path: Path) -> None:
    port = free_port()
    node = SimnetConfig(port=port, manual=True, finality_lag=0)
    first = Simnet(node)
    await first.start()
    await first.produce_blocks(20)
    ahead = first.finalized_number
    settings = settings_for(network=f"ws://127.0.0.1:{port}", chain_timeout=5, data_dir=tmp_path)
    services = Services(settings)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        try:
            await health_until(client, 200, head={"number": ahead, "hash": first.head_hash})
            async with subscribed_to_new_blocks(url) as subscribed:
                await first.stop()
                body, behind, answer, answers = await down_then_back(client, node)
        finally:
            await first.stop()

    assert behind["number"] < ahead
    assert body["status"] == "ok" and body["chain"]["connected"] is True
    assert body["follower"]["nodeReachable"] is True
    assert body["follower"]["resets"] == 1
    assert body["follower"]["lastReset"]["from"]["number"] == ahead
    assert body["follower"]["lastReset"]["to"] == behind
    # The server answers for the node's chain, its own head included (was NOT_FOUND).
    assert answer == {"data": {"head": behind, "block": {"number": behind["number"]}}}
    # And never, meanwhile, NOT_FOUND for its own head: UNAVAILABLE (retry) while it was down.
    assert codes(answers) <= {"UNAVAILABLE"}, [a for a in answers if "NOT_FOUND" in codes([a])]
    assert all(a["own"].get("data", {}).get("block") for a in answers if "own" in a)
    assert any(a["data"]["head"] == behind for a in answers if a.get("data"))
    # A newBlock subscriber goes back with the head, then on along the node's chain.
    assert subscribed[:2] == [behind["number"], behind["number"] + 1], subscribed


async def down_then_back(
    client: httpx.AsyncClient, node: SimnetConfig
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The node (just stopped) is down, then back from the snapshot, and makes one block.
    Returns /health once the server follows it, its head, an answer at that head, and every
    answer `asking_at_the_head` got meanwhile."""
    with asking_at_the_head(client) as answers:
        # Down: 503 as soon as no connection opens, not a chain timeout later.
        down = await health_until(client, 503, status="unreachable")
        assert down["chain"]["connected"] is False
        assert down["follower"]["nodeReachable"] is False
        assert down["follower"]["unreachableSeconds"] >= 0

        # The node is back, restored from the snapshot: 20 blocks behind the server's head.
        async with node_at(node.port) as second:
            back = time.monotonic()
            behind = {"number": second.finalized_number, "hash": second.finalized_hash}
            body = await health_until(client, 200, head=behind)
            print(f"\nfollowed the node back behind in {time.monotonic() - back:.2f} s")
            answer = await graphql(
                client,
                "query ($h: String) { head { number hash } block(hash: $h) { number } }",
                {"h": behind["hash"]},
            )
            # the asking loop answers at this head too before the node moves on (a loaded
            # machine may take longer over one answer than the head stays here)
            async with asyncio.timeout(PATIENCE):
                while not any(  # noqa: ASYNC110
                    (a.get("data") or {}).get("head") == behind for a in answers
                ):
                    await asyncio.sleep(0.02)
            await second.produce_blocks(1)  # and on along the node's chain
            following = {"number": behind["number"] + 1, "hash": second.finalized_hash}
            await health_until(client, 200, head=following)
            await asyncio.sleep(0.5)  # a few more answers on the node's chain
    return body, behind, answer, answers


async def test_another_chain_behind_the_url_answers_for_its_numbers(tmp_path: Path) -> None:
    """The URL now leads to another chain (another seed: other blocks from the same genesis),
    ahead of the server's head: its blocks answer for their numbers, not the old chain's
    (which the reader and the response cache had kept by number)."""
    port = free_port()
    settings = settings_for(network=f"ws://127.0.0.1:{port}", chain_timeout=5, data_dir=tmp_path)
    services = Services(settings)
    by_number = "query ($n: Int) { block(number: $n) { hash } }"
    async with node_at(port, blocks=5) as first:
        old = first.finalized_number
        old_hash = first.finalized_hash
        async with (
            running(settings, services) as url,
            httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
        ):
            await health_until(client, 200, head={"number": old, "hash": old_hash})
            for _ in range(2):  # asked twice: the second answer comes from the response cache
                assert await graphql(client, by_number, {"n": old}) == {
                    "data": {"block": {"hash": old_hash}}
                }
            await first.stop()
            await health_until(client, 503, status="unreachable")

            async with node_at(port, seed=1, blocks=8) as second:
                new = {"number": second.finalized_number, "hash": second.finalized_hash}
                assert new["number"] > old
                assert second.world.hash_by_number[old] != old_hash  # another chain indeed
                body = await health_until(client, 200, head=new)
                answer = await graphql(client, by_number, {"n": old})
                expected = second.world.hash_by_number[old]

    assert body["follower"]["resets"] == 1
    assert body["follower"]["lastReset"]["from"] == {"number": old, "hash": old_hash}
    assert answer == {"data": {"block": {"hash": expected}}}
