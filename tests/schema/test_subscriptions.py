"""`newBlock`: blocks from `fromBlock`, each once and in order, then live ones from the hub."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from pylon_gql.chain.models import BlockRef
from pylon_gql.events import EventHub, NewBlock
from pylon_gql.schema import Context, create_schema

from .fakes import FakeReader, block_hash, make_settings

NEW_BLOCK = "subscription($from: Int) { newBlock(fromBlock: $from) { number hash parentHash } }"


async def subscribe(
    reader: FakeReader, hub: EventHub, from_block: int | None, **settings: Any
) -> AsyncGenerator[dict[str, Any]]:
    config = make_settings(**settings)
    context = Context(settings=config, reader=reader, request_id="s", events=hub)
    stream = await create_schema(config).subscribe(
        NEW_BLOCK, variable_values={"from": from_block}, context_value=context
    )
    assert isinstance(stream, AsyncGenerator)
    async with contextlib.aclosing(stream):
        async for result in stream:
            answer: dict[str, Any] = {"data": result.data}
            if result.errors:
                answer["errors"] = [e.formatted for e in result.errors]
            yield answer


def announce(reader: FakeReader, hub: EventHub, number: int) -> None:
    """What the follower does for a new block."""
    reader.head_number = number
    hub.publish(NewBlock(BlockRef(number, block_hash(number))))


def numbers(answers: list[dict[str, Any]]) -> list[int]:
    return [a["data"]["newBlock"]["number"] for a in answers]


async def take(stream: AsyncGenerator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(10):
        return [await anext(stream) for _ in range(count)]


async def test_replays_from_a_block_then_follows_the_hub() -> None:
    reader, hub = FakeReader(), EventHub()
    stream = subscribe(reader, hub, 1008)
    replayed = await take(stream, 3)
    assert numbers(replayed) == [1008, 1009, 1010]
    assert replayed[0]["data"]["newBlock"] == {
        "number": 1008,
        "hash": block_hash(1008),
        "parentHash": block_hash(1007),
    }
    announce(reader, hub, 1011)
    announce(reader, hub, 1011)  # a repeat (resubscription) is not sent twice
    announce(reader, hub, 1014)  # a jump: the skipped blocks are filled in
    assert numbers(await take(stream, 4)) == [1011, 1012, 1013, 1014]
    await stream.aclose()
    assert hub.subscriber_count == 0


async def test_without_from_block_starts_at_the_next_new_block() -> None:
    reader, hub = FakeReader(), EventHub()
    stream = subscribe(reader, hub, None)
    first = asyncio.create_task(anext(stream))
    while hub.subscriber_count == 0:  # noqa: ASYNC110 - the hub has no event for this
        await asyncio.sleep(0.01)
    announce(reader, hub, 1011)
    assert numbers([await asyncio.wait_for(first, 10)]) == [1011]
    await stream.aclose()


@pytest.mark.parametrize(
    ("from_block", "code"),
    [(1012, "BLOCK_IN_FUTURE"), (-1, "BAD_USER_INPUT"), (1010 - 128, "BAD_USER_INPUT")],
)
async def test_bad_from_block_is_a_typed_error(from_block: int, code: str) -> None:
    stream = subscribe(FakeReader(), EventHub(), from_block)
    [answer] = await take(stream, 1)
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code]


async def test_oldest_block_allowed_is_cache_blocks_behind() -> None:
    stream = subscribe(FakeReader(), EventHub(), 1010 - 9, cache_blocks=10)
    assert numbers(await take(stream, 2)) == [1001, 1002]
    await stream.aclose()


async def test_a_subscriber_that_falls_behind_is_told_where_to_resume() -> None:
    reader, hub = FakeReader(), EventHub(queue_size=2)
    stream = subscribe(reader, hub, 1010)
    assert numbers(await take(stream, 1)) == [1010]
    for number in range(1011, 1015):  # more than the queue holds, unread
        announce(reader, hub, number)
    answers = await take(stream, 3)
    assert numbers(answers[:2]) == [1011, 1012]
    assert answers[2]["errors"][0]["extensions"] == {"code": "UNAVAILABLE", "fromBlock": 1013}
