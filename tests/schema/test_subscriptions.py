"""`newBlock`: blocks from `fromBlock`, each once and in order, then live ones from the hub."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from pylon_gql.auth import Role
from pylon_gql.chain.epochs import epoch_at
from pylon_gql.events import (
    CommitmentChange,
    EventHub,
    NeuronRegistration,
    NewBlock,
    NewEpoch,
)
from pylon_gql.models import (
    BlockRef,
    CommitAttempt,
    Commitment,
    CommitMode,
    CommitStatus,
    CommitTrigger,
)
from pylon_gql.schema import Context, create_schema

from .fakes import FakeReader, account, block_hash, make_settings

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
    reader, hub = FakeReader(), EventHub()
    stream = subscribe(reader, hub, 1010, subscriber_max_lag=2)
    assert numbers(await take(stream, 1)) == [1010]
    for number in range(1011, 1015):  # more than the queue holds, unread
        announce(reader, hub, number)
    answers = await take(stream, 3)
    assert numbers(answers[:2]) == [1011, 1012]
    assert answers[2]["errors"][0]["extensions"] == {"code": "UNAVAILABLE", "fromBlock": 1013}


async def stream_of(
    document: str,
    hub: EventHub,
    roles: frozenset[Role] = frozenset(),
    variables: dict[str, Any] | None = None,
    **settings: Any,
) -> AsyncGenerator[dict[str, Any]]:
    config = make_settings(**settings)
    context = Context(settings=config, reader=FakeReader(), request_id="s", events=hub, roles=roles)
    stream = await create_schema(config).subscribe(
        document, variable_values=variables, context_value=context
    )
    assert isinstance(stream, AsyncGenerator)
    async with contextlib.aclosing(stream):
        async for result in stream:
            answer: dict[str, Any] = {"data": result.data}
            if result.errors:
                answer["errors"] = [e.formatted for e in result.errors]
            yield answer


async def subscribed(hub: EventHub, kind: type, count: int = 1) -> None:
    """Wait until `count` subscriptions of `kind` are on the hub."""
    async with asyncio.timeout(5):
        while hub.subscribers(kind) < count:  # noqa: ASYNC110 - the hub has no event for this
            await asyncio.sleep(0.005)


def commit_event(status: str, **changes: Any) -> CommitAttempt:
    at = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=datetime.UTC)
    fields: dict[str, Any] = {
        "id": 7, "block": 1010, "epoch": 10, "weights_epoch": 10, "netuid": 1,
        "mode": CommitMode.COMMIT_REVEAL, "trigger": CommitTrigger.AUTO, "uid_count": 256,
        "digest": "ab" * 32, "reveal_round": 5_000_123, "status": CommitStatus(status),
        "error": None, "outcome_unknown": False, "created_at": at, "updated_at": at,
    }  # fmt: skip
    fields = {**fields, **changes}
    return CommitAttempt(**fields, block_hash=f"0x{fields['block']:064x}")


WEIGHT_COMMIT = (
    "subscription { weightCommit { id block { number } status mode revealRound error uidCount } }"
)


async def test_weight_commit_needs_the_validator_role() -> None:
    hub = EventHub()
    [answer] = [a async for a in stream_of(WEIGHT_COMMIT, hub)]
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert "authorization" in answer["errors"][0]["message"]
    assert hub.subscribers(CommitAttempt) == 0


async def test_weight_commit_follows_an_attempt_to_finalized() -> None:
    hub = EventHub()
    stream = stream_of(WEIGHT_COMMIT, hub, roles=frozenset({Role.VALIDATOR}))
    first = asyncio.create_task(anext(stream))
    await subscribed(hub, CommitAttempt)
    hub.publish(commit_event("pending"))
    hub.publish(commit_event("in_block", block=1012))
    hub.publish(commit_event("finalized", block=1012))
    answers = [await asyncio.wait_for(first, 5), *await take(stream, 2)]
    assert [a["data"]["weightCommit"] for a in answers] == [
        {"id": 7, "block": {"number": b}, "status": s, "mode": "COMMIT_REVEAL",
         "revealRound": 5_000_123, "error": None, "uidCount": 256}
        for b, s in [(1010, "PENDING"), (1012, "IN_BLOCK"), (1012, "FINALIZED")]
    ]  # fmt: skip
    await stream.aclose()
    assert hub.subscribers(CommitAttempt) == 0


async def test_new_epoch_and_registrations_come_from_the_hub() -> None:
    hub = EventHub()
    epochs = stream_of("subscription { newEpoch { index start block { number } } }", hub)
    registrations = stream_of(
        "subscription($h: [String!]) { neuronRegistrations(hotkeys: $h) "
        "{ block { number } uid hotkey coldkey change } }",
        hub,
        variables={"h": [account(5)]},
    )
    first_epoch = asyncio.create_task(anext(epochs))
    first_registration = asyncio.create_task(anext(registrations))
    await subscribed(hub, NewEpoch)
    await subscribed(hub, NeuronRegistration)
    # Subnet 1, tempo 99: an epoch starts where (block + 2) % 100 == 99.
    epoch = epoch_at(1097, 1, 99, commit_window_start_offset=0, commit_window_end_buffer=0)
    hub.publish(NewEpoch(BlockRef(1097, block_hash(1097)), epoch))
    at = BlockRef(1100, block_hash(1100))
    hub.publish(NeuronRegistration(at, 3, account(4), account(9), "deregistered"))
    hub.publish(NeuronRegistration(at, 3, account(5), account(9), "registered"))
    assert (await asyncio.wait_for(first_epoch, 5))["data"] == {
        "newEpoch": {"index": epoch.index, "start": 1097, "block": {"number": 1097}}
    }
    assert (await asyncio.wait_for(first_registration, 5))["data"] == {
        "neuronRegistrations": {
            "block": {"number": 1100},
            "uid": 3,
            "hotkey": account(5),
            "coldkey": account(9),
            "change": "REGISTERED",
        }
    }
    await epochs.aclose()
    await registrations.aclose()


async def test_commitment_changes_filtered_by_hotkey() -> None:
    hub = EventHub()
    stream = stream_of(
        "subscription($h: [String!]) { commitmentChanged(hotkeys: $h) "
        "{ block { number } hotkey commitment { committedAt data text } } }",
        hub,
        variables={"h": [account(1), account(2)]},
    )
    first = asyncio.create_task(anext(stream))
    await subscribed(hub, CommitmentChange)
    at = BlockRef(1011, block_hash(1011))
    hub.publish(CommitmentChange(at, account(3), Commitment(account(3), 1011, b"other")))
    hub.publish(CommitmentChange(at, account(1), Commitment(account(1), 1011, b"hi")))
    hub.publish(CommitmentChange(at, account(2), None))
    answers = [await asyncio.wait_for(first, 5), *await take(stream, 1)]
    assert [a["data"]["commitmentChanged"] for a in answers] == [
        {
            "block": {"number": 1011},
            "hotkey": account(1),
            "commitment": {"committedAt": 1011, "data": "0x6869", "text": "hi"},
        },
        {"block": {"number": 1011}, "hotkey": account(2), "commitment": None},
    ]
    await stream.aclose()
    assert hub.subscribers(CommitmentChange) == 0  # closing the stream left the hub at once


async def test_a_hotkey_filter_that_is_not_ss58_is_bad_input() -> None:
    document = 'subscription { commitmentChanged(hotkeys: ["nope"]) { hotkey } }'
    [answer] = [a async for a in stream_of(document, EventHub())]
    assert answer["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_an_event_subscription_that_falls_behind_ends_with_an_error() -> None:
    hub = EventHub()
    stream = stream_of(WEIGHT_COMMIT, hub, roles=frozenset({Role.VALIDATOR}), subscriber_max_lag=2)
    first = asyncio.create_task(anext(stream))
    await subscribed(hub, CommitAttempt)
    hub.publish(commit_event("pending", id=0))
    await asyncio.sleep(0)  # the waiting reader takes it off its queue
    for n in range(1, 4):  # two fit in the queue, unread; the third is one too many
        hub.publish(commit_event("pending", id=n))
    answers = [await asyncio.wait_for(first, 5), *await take(stream, 3)]
    assert [a["data"]["weightCommit"]["id"] for a in answers[:3]] == [0, 1, 2]
    assert answers[3]["data"] is None
    # Where to resubscribe losing nothing: the oldest attempt it has not seen end.
    assert answers[3]["errors"][0]["extensions"] == {"code": "UNAVAILABLE", "fromId": 0}
    assert "subscribe again with fromId: 0" in answers[3]["errors"][0]["message"]
    assert hub.subscribers(CommitAttempt) == 0
