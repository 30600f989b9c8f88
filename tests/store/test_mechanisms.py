"""The store keeps a vector per epoch and mechanism, on SQLite and PostgreSQL alike: mechanism
1's weights live beside mechanism 0's without touching them, each has its own newest vector,
and commit attempts claim an epoch per mechanism."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain.epochs import epoch_at
from pylon_gql.models import BlockRef, CommitMode, CommitTrigger, Epoch
from pylon_gql.store import EpochClaimed, WeightRangeError, WeightStore

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
OTHER = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def ref(number: int) -> BlockRef:
    return BlockRef(number, f"0x{number:064x}")


def epoch(block: int) -> Epoch:
    return epoch_at(block, 1, 360, commit_window_start_offset=50, commit_window_end_buffer=10)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WeightStore]:
    store = WeightStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_each_mechanism_has_its_own_vector(store: WeightStore) -> None:
    now = epoch(730)
    at = (now, ref(730))
    await store.set_weights(now.start, [(HOTKEY, 1.0), (OTHER, 2.0)], at=at)
    # the same hotkey in the same epoch, another mechanism: a row of its own
    await store.set_weights(now.start, [(HOTKEY, 5.0)], at=at, mechanism=1)
    assert [(e.hotkey, e.weight, e.mechanism) for e in await store.weights(now.start)] == [
        (HOTKEY, 1.0, 0),
        (OTHER, 2.0, 0),
    ]
    (one,) = await store.weights(now.start, mechanism=1)
    assert (one.hotkey, one.weight, one.mechanism) == (HOTKEY, 5.0, 1)
    # every write takes the mechanism and leaves the other one alone
    assert (await store.set_weight(now.start, OTHER, 3.0, at=at, mechanism=1)).mechanism == 1
    added = await store.add_weight(now.start, HOTKEY, 0.5, at=at, mechanism=1)
    assert (added.weight, added.mechanism) == (5.5, 1)
    with pytest.raises(WeightRangeError):
        await store.add_weight(now.start, OTHER, -10.0, at=at, mechanism=1)
    deleted = await store.delete_weight(now.start, OTHER, at=at, mechanism=1)
    assert deleted is not None and (deleted.weight, deleted.mechanism) == (3.0, 1)
    assert await store.delete_weight(now.start, OTHER, at=at, mechanism=1) is None
    await store.set_weights(now.start, [(OTHER, 7.0)], replace=True, at=at, mechanism=1)
    assert [(e.hotkey, e.weight) for e in await store.weights(now.start, mechanism=1)] == [
        (OTHER, 7.0)
    ]
    assert [(e.hotkey, e.weight) for e in await store.weights(now.start)] == [
        (HOTKEY, 1.0),
        (OTHER, 2.0),
    ]
    # concurrent deltas on mechanism 1 lose none, and mechanism 0 is untouched
    await asyncio.gather(
        *(store.add_weight(now.start, HOTKEY, 1.0, at=at, mechanism=1) for _ in range(50))
    )
    assert {e.hotkey: e.weight for e in await store.weights(now.start, mechanism=1)} == {
        HOTKEY: 50.0,
        OTHER: 7.0,
    }
    assert {e.hotkey: e.weight for e in await store.weights(now.start)}[HOTKEY] == 1.0
    assert await store.mechanisms_written() == [0, 1]


async def test_a_mechanisms_clear_is_its_newest_vector_only(store: WeightStore) -> None:
    older, newer = epoch(380), epoch(730)
    await store.set_weights(older.start, [(HOTKEY, 1.0)], at=(older, ref(380)))
    await store.set_weights(older.start, [(HOTKEY, 2.0)], at=(older, ref(380)), mechanism=1)
    assert await store.clear_weights(newer.start, at=(newer, ref(740)), mechanism=1) == 0
    # mechanism 1's newest vector is the cleared (empty) one; mechanism 0's is still the older
    assert await store.latest_weights_epoch(800, mechanism=1) == newer.start
    assert await store.weights(newer.start, mechanism=1) == []
    assert await store.latest_weights_epoch(800) == older.start
    assert await store.latest_weights_epoch(800, mechanism=2) is None


async def test_an_epoch_is_claimed_per_mechanism(store: WeightStore) -> None:
    now = epoch(790)

    async def start(mechanism: int, block: int):
        return await store.start_commit(
            block=block, epoch=now.start, weights_epoch=now.start, netuid=1,
            mode=CommitMode.SET, trigger=CommitTrigger.AUTO, uid_count=2, digest="d",
            at=(now, ref(block)), mechanism=mechanism,
        )  # fmt: skip

    zero = await start(0, 790)
    one = await start(1, 791)
    assert (zero.mechanism, one.mechanism) == (0, 1)
    with pytest.raises(EpochClaimed) as claimed:
        await start(1, 792)
    assert claimed.value.holder == one and claimed.value.mechanism == 1
    assert "mechanism 1" in str(claimed.value)
    assert await store.claim_holder(1, now.start) == zero
    assert await store.claim_holder(1, now.start, 1) == one
    # each mechanism's landed commits are its own
    assert await store.last_landed_commit(1, mechanism=1) is None
    assert [c.mechanism for c in await store.commits()] == [1, 0]
