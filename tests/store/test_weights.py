"""The weight store on a fresh database, SQLite and PostgreSQL alike: migrations, batches,
deltas (racing ones too), the commit log."""

from __future__ import annotations

import asyncio
import math
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pylon_gql.chain.epochs import epoch_at
from pylon_gql.models import BlockRef, CommitMode, CommitStatus, CommitTrigger, weights_digest
from pylon_gql.store import WeightRangeError, WeightStore, migrate
from pylon_gql.store.migrations import MIGRATIONS_DIR
from pylon_gql.store.models import Weight

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
OTHER = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def url(path: Path) -> str:
    return f"sqlite://{path}"


def shipped_migrations() -> list[str]:
    names = [path.name for path in (MIGRATIONS_DIR / "models").glob("[0-9]*_*.py")]
    return sorted(names, key=lambda name: int(name.split("_")[0]))


def ref(number: int) -> BlockRef:
    return BlockRef(number, f"0x{number:064x}")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WeightStore]:
    store = WeightStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_migrations_make_the_tables_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    applied = await migrate(url(path))
    assert applied == shipped_migrations() and applied[0].endswith("_init.py")
    assert await migrate(url(path)) == []  # nothing left to apply
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
        assert {"weight", "weight_commit", "weights_epoch", "aerich"} <= tables
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


async def test_a_batch_is_all_or_nothing(store: WeightStore) -> None:
    await store.set_weights(100, [(HOTKEY, 1.0)])
    with pytest.raises(WeightRangeError, match=OTHER):
        await store.set_weights(100, [(HOTKEY, 5.0), (OTHER, math.nan)])
    assert [(e.hotkey, e.weight) for e in await store.weights(100)] == [(HOTKEY, 1.0)]
    assert await store.set_weights(100, [(HOTKEY, 2.0), (OTHER, 3.0)]) == 2
    assert {e.hotkey: e.weight for e in await store.weights(100)} == {HOTKEY: 2.0, OTHER: 3.0}
    assert await store.weights(461) == []


async def test_concurrent_deltas_never_lose_one(store: WeightStore) -> None:
    # Postgres: 1000 at once over the pool's connections, READ COMMITTED; SQLite: 500. Several
    # rounds (each on a missing row first) so that passing is not luck.
    count = 1000 if store.url.startswith("postgres") else 500
    for epoch in (7, 8, 9):
        results = await asyncio.gather(
            *(store.add_weight(epoch, HOTKEY, 1.0) for _ in range(count)),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        (entry,) = await store.weights(epoch)
        assert entry.weight == float(count)


async def test_racing_deltas_up_and_down_never_cross_zero_wrongly(store: WeightStore) -> None:
    # +1 and -1 racing on a missing row: every -1 that fails saw a weight below 1 at that
    # moment, so the weight ends at (successful +1) - (successful -1) and never below 0.
    ups, downs = 300, 200
    tasks = [store.add_weight(5, HOTKEY, 1.0) for _ in range(ups)]
    tasks += [store.add_weight(5, HOTKEY, -1.0) for _ in range(downs)]
    order = list(range(len(tasks)))
    random.Random(5).shuffle(order)
    results = await asyncio.gather(*(tasks[i] for i in order), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, WeightRangeError) for r in refused), refused
    assert all("negative" in str(r) or "no weight yet" in str(r) for r in refused)
    (entry,) = await store.weights(5)
    assert entry.weight == ups - (downs - len(refused)) >= 0


async def test_racing_replacing_batches_leave_one_of_them_whole(store: WeightStore) -> None:
    batches = [[(f"hotkey-{b}-{i}", float(i)) for i in range(50)] for b in range(8)]
    for _ in range(3):
        await asyncio.gather(*(store.set_weights(9, batch, replace=True) for batch in batches))
        kept = sorted((e.hotkey, e.weight) for e in await store.weights(9))
        assert kept in [sorted(batch) for batch in batches]


async def test_racing_set_weight_on_a_missing_row_all_succeed(store: WeightStore) -> None:
    values = [float(i) for i in range(100)]
    await asyncio.gather(*(store.set_weight(3, HOTKEY, v) for v in values))
    (entry,) = await store.weights(3)
    assert entry.weight in values


async def test_a_delta_never_makes_a_weight_negative(store: WeightStore) -> None:
    await store.set_weight(7, HOTKEY, 1.5)
    with pytest.raises(WeightRangeError, match="negative"):
        await store.add_weight(7, HOTKEY, -2.0)
    with pytest.raises(WeightRangeError):
        await store.add_weight(7, OTHER, -1.0)  # no weight yet: the delta is the weight
    assert (await store.add_weight(7, HOTKEY, -1.5)).weight == 0.0
    assert [e.hotkey for e in await store.weights(7)] == [HOTKEY]


async def test_latest_weights_epoch(store: WeightStore) -> None:
    assert await store.latest_weights_epoch(1000) is None
    await store.set_weight(100, HOTKEY, 1.0)
    await store.set_weight(461, HOTKEY, 1.0)
    assert await store.latest_weights_epoch(460) == 100
    assert await store.latest_weights_epoch(461) == 461


async def test_the_commit_log_survives_a_restart(database_url: str) -> None:
    path = database_url
    store = WeightStore(path)
    await store.open()
    first = await store.start_commit(
        block=10,
        epoch=0,
        weights_epoch=0,
        netuid=1,
        mode=CommitMode.SET,
        trigger=CommitTrigger.AUTO,
        uid_count=2,
        digest=weights_digest({0: 1.0, 1: 0.0}),
    )
    await store.update_commit(first.id, CommitStatus.FINALIZED, block=12)
    second = await store.start_commit(
        block=370,
        epoch=361,
        weights_epoch=361,
        netuid=1,
        mode=CommitMode.COMMIT_REVEAL,
        trigger=CommitTrigger.MANUAL,
        uid_count=2,
        digest="d",
    )
    await store.update_commit(second.id, CommitStatus.IN_BLOCK, block=371)
    await store.set_weight(361, HOTKEY, 4.0)
    await store.close()

    store = WeightStore(path)
    await store.open()  # the in-block attempt's outcome is unknown now
    try:
        log = await store.commits()
        assert [(c.id, c.status, c.outcome_unknown) for c in log] == [
            (second.id, "failed", True),
            (first.id, "finalized", False),
        ]
        assert "interrupted" in (log[0].error or "")
        landed = await store.last_landed_commit(1)
        assert landed is not None and landed.id == second.id
        assert [c.id for c in await store.commits(last=1)] == [second.id]
        assert [(e.hotkey, e.weight) for e in await store.weights(361)] == [(HOTKEY, 4.0)]
    finally:
        await store.close()


def test_digest_is_order_free() -> None:
    assert weights_digest({1: 0.5, 0: 1.0}) == weights_digest({0: 1.0, 1: 0.5})
    assert weights_digest({0: 1.0}) != weights_digest({0: 0.5})


async def test_a_delta_never_makes_a_weight_infinite_and_changes_nothing(
    store: WeightStore,
) -> None:
    huge = 1.7e308  # finite; twice it is not
    await store.set_weight(7, HOTKEY, huge)
    with pytest.raises(WeightRangeError, match="infinite"):
        await store.add_weight(7, HOTKEY, huge)
    [entry] = await store.weights(7)
    assert entry.weight == huge  # refused in the statement that writes: nothing written
    assert (await store.add_weight(7, HOTKEY, -huge)).weight == 0.0


def epoch(block: int, tempo: int):
    """The chain's epoch containing `block` (netuid 1), with the tempo in force there."""
    return epoch_at(block, 1, tempo, commit_window_start_offset=3, commit_window_end_buffer=2)


async def test_a_tempo_raise_does_not_move_the_epoch_back_past_weights_written(
    store: WeightStore,
) -> None:
    # Tempo 9: block 730 is in the epoch starting at 727; nothing stored, so the chain's.
    assert (await store.epoch(epoch(730, 9))).start == 727
    await store.set_weight(727, HOTKEY, 1.0)
    # Raised to 360 at block 732: the tempo now puts it in an epoch starting at 719, which
    # would hide the weights of 727. The epoch the chain is in started at 727 still.
    raised = epoch(732, 360)
    assert raised.start == 719
    kept = await store.epoch(raised)
    assert (kept.start, kept.end, kept.index, kept.tempo) == (727, raised.end, raised.index, 360)
    assert (kept.commit_window_start, kept.commit_window_end) == (730, raised.commit_window_end)
    assert [e.weight for e in await store.weights(kept.start)] == [1.0]
    # At a block before the weights were written, they are not its epoch's.
    assert (await store.epoch(epoch(726, 9))).start == 717
    # The next epoch the new tempo runs (from block 1080) is a new key.
    assert (await store.epoch(epoch(1085, 360))).start == 1080
    # A tempo lowered again: the chain's start once it is past the newest key.
    await store.set_weight(1080, HOTKEY, 2.0)
    assert (await store.epoch(epoch(1100, 9))).start == 1097
    assert await store.latest_weights_epoch(1100) == 1080


async def test_an_existing_database_is_upgraded_and_keeps_its_weights(tmp_path: Path) -> None:
    old = tmp_path / "old-migrations"
    (old / "models").mkdir(parents=True)
    (init,) = (MIGRATIONS_DIR / "models").glob("0_*_init.py")
    (old / "models" / init.name).write_bytes(init.read_bytes())
    path = tmp_path / "old.sqlite3"
    assert await migrate(url(path), location=old) == [init.name]  # a database of before
    with sqlite3.connect(path) as db:
        db.execute(
            "insert into weight (hotkey, epoch, weight, updated_at) values (?, 727, 1.5, ?)",
            (HOTKEY, "2026-01-01 00:00:00+00:00"),
        )
    store = WeightStore(url(path))
    await store.open()  # migrates at start
    try:
        assert [(e.hotkey, e.weight) for e in await store.weights(727)] == [(HOTKEY, 1.5)]
        assert (await store.epoch(epoch(732, 360))).start == 727
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        indexes = {row[1] for row in db.execute("pragma index_list('weight')")}
        versions = [row[0] for row in db.execute("select version from aerich order by id")]
    assert any(name.startswith("idx_weight_epoch") for name in indexes), indexes
    assert versions == shipped_migrations()


async def test_replace_makes_the_vector_exactly_the_batch_and_merge_upserts(
    store: WeightStore,
) -> None:
    third = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y"
    await store.set_weights(727, [(HOTKEY, 1.0), (OTHER, 2.0)])
    await store.set_weights(727, [(OTHER, 5.0), (third, 1.0)], replace=True)
    assert {e.hotkey: e.weight for e in await store.weights(727)} == {OTHER: 5.0, third: 1.0}
    await store.set_weights(727, [(HOTKEY, 3.0)])  # merge
    assert {e.hotkey: e.weight for e in await store.weights(727)} == {
        HOTKEY: 3.0,
        OTHER: 5.0,
        third: 1.0,
    }
    assert await store.weights(366) == []  # another epoch untouched


async def test_a_replace_that_fails_midway_leaves_the_old_vector(
    store: WeightStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.set_weights(727, [(HOTKEY, 1.0), (OTHER, 2.0)])

    async def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    # The old rows are deleted first; the insert then fails: the delete is rolled back.
    monkeypatch.setattr(Weight, "bulk_create", fails)
    with pytest.raises(RuntimeError):
        await store.set_weights(727, [(HOTKEY, 9.0)], replace=True)
    monkeypatch.undo()
    assert {e.hotkey: e.weight for e in await store.weights(727)} == {HOTKEY: 1.0, OTHER: 2.0}


async def test_a_cleared_epoch_is_the_newest_vector_and_empty(store: WeightStore) -> None:
    older, newer = epoch(380, 360), epoch(730, 360)
    await store.set_weights(older.start, [(HOTKEY, 1.0)], at=(older, ref(380)))
    await store.set_weights(newer.start, [(HOTKEY, 2.0)], at=(newer, ref(730)))
    assert await store.clear_weights(newer.start, at=(newer, ref(740))) == 1
    assert await store.weights(newer.start) == []
    # the committer commits the newest vector: the empty one, not the older epoch's
    assert await store.latest_weights_epoch(800) == newer.start
    assert await store.latest_weights_epoch(newer.start - 1) == older.start


async def test_delete_weight_says_what_it_deleted(store: WeightStore) -> None:
    await store.set_weights(727, [(HOTKEY, 1.5), (OTHER, 2.0)])
    (before,) = [e for e in await store.weights(727) if e.hotkey == HOTKEY]
    deleted = await store.delete_weight(727, HOTKEY)
    assert deleted == before  # the weight and the time it was written, as it was read
    assert await store.delete_weight(727, HOTKEY) is None
    assert [e.hotkey for e in await store.weights(727)] == [OTHER]
    # Racing deletes of one weight: one of them deleted it.
    racing = await asyncio.gather(*(store.delete_weight(727, OTHER) for _ in range(20)))
    assert [(e.hotkey, e.weight) for e in racing if e is not None] == [(OTHER, 2.0)]


async def test_epochs_are_recorded_with_their_write_and_a_commit_marks_none_written(
    store: WeightStore,
) -> None:
    written = epoch(730, 360)
    await store.set_weight(written.start, HOTKEY, 1.0, at=(written, ref(730)))
    recorded = await store.recorded_epoch(written.start)
    assert recorded == (written, ref(730))
    assert await store.recorded_epoch_at(written.end) == recorded
    assert await store.recorded_epoch_at(written.end + 1) is None
    # a commit in the next epoch records it (for its answers), but writes no vector there
    following = epoch(written.end + 20, 360)
    attempt = await store.start_commit(
        block=following.block,
        epoch=following.start,
        weights_epoch=written.start,
        netuid=1,
        mode=CommitMode.SET,
        trigger=CommitTrigger.AUTO,
        uid_count=1,
        digest="0" * 64,
        at=(following, ref(following.block)),
    )
    assert attempt.block_hash == ref(following.block).hash
    assert await store.recorded_epoch(following.start) == (following, ref(following.block))
    assert await store.latest_weights_epoch(following.block) == written.start
    landed = await store.update_commit(
        attempt.id, CommitStatus.FINALIZED, block=ref(following.block + 2)
    )
    assert (landed.block, landed.block_hash) == (following.block + 2, ref(following.block + 2).hash)
