"""The weight store on a fresh SQLite file: migrations, batches, deltas, the commit log."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pylon_gql.models import CommitMode, CommitStatus, CommitTrigger, weights_digest
from pylon_gql.store import WeightRangeError, WeightStore, migrate

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
OTHER = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def url(path: Path) -> str:
    return f"sqlite://{path}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[WeightStore]:
    store = WeightStore(url(tmp_path / "nested" / "pylon.sqlite3"))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_migrations_make_the_tables_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    applied = await migrate(url(path))
    assert len(applied) == 1 and applied[0].endswith("_init.py")
    assert await migrate(url(path)) == []  # nothing left to apply
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
        assert {"weight", "weight_commit", "aerich"} <= tables
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
    await asyncio.gather(*(store.add_weight(7, HOTKEY, 1.0) for _ in range(200)))
    (entry,) = await store.weights(7)
    assert entry.weight == 200.0


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


async def test_the_commit_log_survives_a_restart(tmp_path: Path) -> None:
    path = url(tmp_path / "log.sqlite3")
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
