"""`weightCommit(fromId:)`'s stream on a real SQLite commit log: the log from an id, then live,
each status of an attempt once and never backwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pylon_gql.commit_stream import PAGE, CommitStream
from pylon_gql.events import EventHub, Subscription
from pylon_gql.models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger
from pylon_gql.store import WeightStore

from .attempts import attempt


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[WeightStore]:
    store = WeightStore(f"sqlite://{tmp_path / 'pylon.sqlite3'}")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def start(store: WeightStore) -> CommitAttempt:
    return await store.start_commit(
        block=100,
        epoch=90,
        weights_epoch=90,
        netuid=2,
        mode=CommitMode.COMMIT_REVEAL,
        trigger=CommitTrigger.MANUAL,
        uid_count=4,
        digest="ab" * 32,
    )


async def land(store: WeightStore, commit_id: int) -> list[CommitAttempt]:
    """IN_BLOCK then FINALIZED, as the committer writes them (each is published after)."""
    return [
        await store.update_commit(commit_id, CommitStatus.IN_BLOCK, block=101),
        await store.update_commit(commit_id, CommitStatus.FINALIZED, block=101, reveal_round=7),
    ]


def seen(attempts: list[CommitAttempt]) -> list[tuple[int, str]]:
    return [(a.id, a.status.name) for a in attempts]


async def take(stream: AsyncIterator[CommitAttempt], count: int) -> list[CommitAttempt]:
    async with asyncio.timeout(30):
        return [await anext(stream) for _ in range(count)]


def nothing_more(live: Subscription[CommitAttempt]) -> bool:
    return live._queue.empty()


async def test_the_log_from_an_id_then_the_live_moves_each_once(store: WeightStore) -> None:
    first = await start(store)
    await land(store, first.id)
    second = await start(store)
    in_block = await store.update_commit(second.id, CommitStatus.IN_BLOCK, block=101)
    hub = EventHub()
    live = hub.subscribe(CommitAttempt)
    # Published while the client subscribed: already in the log it reads, and queued live.
    hub.publish(in_block)
    stream = CommitStream(from_id=first.id).follow(store, live)
    assert seen(await take(stream, 2)) == [(1, "FINALIZED"), (2, "IN_BLOCK")]
    finalized = await store.update_commit(second.id, CommitStatus.FINALIZED, block=101)
    hub.publish(finalized)
    third = await start(store)
    hub.publish(third)
    # The queued IN_BLOCK of attempt 2 was sent from the log: not again.
    assert seen(await take(stream, 2)) == [(2, "FINALIZED"), (3, "PENDING")]
    assert nothing_more(live)
    await stream.aclose()


async def test_a_live_move_older_than_the_log_is_skipped(store: WeightStore) -> None:
    first = await start(store)
    hub = EventHub()
    live = hub.subscribe(CommitAttempt)
    # Queued while the log was read: the log already says FINALIZED.
    moved = [first, *await land(store, first.id)]
    for event in moved:
        hub.publish(event)
    second = await start(store)
    hub.publish(second)
    stream = CommitStream(from_id=first.id).follow(store, live)
    # The log: 1 FINALIZED, 2 PENDING; then the queue: 1's moves are older, 2's PENDING sent.
    assert seen(await take(stream, 2)) == [(1, "FINALIZED"), (2, "PENDING")]
    landed = await land(store, second.id)
    for event in landed:
        hub.publish(event)
    assert seen(await take(stream, 2)) == [(2, "IN_BLOCK"), (2, "FINALIZED")]
    await stream.aclose()


async def test_attempts_before_from_id_are_left_out_live_too(store: WeightStore) -> None:
    old = await start(store)
    new = await start(store)
    hub = EventHub()
    live = hub.subscribe(CommitAttempt)
    stream = CommitStream(from_id=new.id).follow(store, live)
    assert seen(await take(stream, 1)) == [(2, "PENDING")]
    for event in await land(store, old.id):
        hub.publish(event)  # the older attempt moves: not asked for
    for event in await land(store, new.id):
        hub.publish(event)
    assert seen(await take(stream, 2)) == [(2, "IN_BLOCK"), (2, "FINALIZED")]
    await stream.aclose()


async def test_a_long_log_is_read_in_pages_oldest_first(store: WeightStore) -> None:
    for _ in range(PAGE + 5):
        await start(store)
    hub = EventHub()
    stream = CommitStream(from_id=3).follow(store, hub.subscribe(CommitAttempt))
    ids = [a.id for a in await take(stream, PAGE + 3)]
    assert ids == list(range(3, PAGE + 6))
    await stream.aclose()


async def test_without_from_id_only_live_moves(store: WeightStore) -> None:
    await start(store)
    hub = EventHub()
    stream = CommitStream().follow(None, hub.subscribe(CommitAttempt))
    later = await start(store)
    hub.publish(later)
    assert seen(await take(stream, 1)) == [(2, "PENDING")]
    await stream.aclose()


def test_the_id_to_resume_from_loses_nothing() -> None:
    stream = CommitStream(from_id=5)
    assert stream.resume_from == 5  # nothing sent yet
    for event in (attempt(5, CommitStatus.FINALIZED), attempt(6, CommitStatus.PENDING)):
        assert stream.fresh(event)
    assert stream.resume_from == 6  # 6 may still move
    assert stream.fresh(attempt(6, CommitStatus.FAILED, step=3))
    assert stream.resume_from == 7
    assert not stream.fresh(attempt(6, CommitStatus.FAILED, step=3))  # the same move again
    assert not stream.fresh(attempt(4, CommitStatus.PENDING))  # before fromId
    assert CommitStream().resume_from is None
