"""One migration history for SQLite and PostgreSQL: a fresh database of either gets the models'
tables, and a database made before PostgreSQL was supported (SQLite's migrations as shipped,
kept in before_postgres/) upgrades in place and keeps every row."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from pylon_gql.chain.epochs import epoch_at
from pylon_gql.models import BlockRef, CommitMode, CommitTrigger
from pylon_gql.store import EpochClaimed, WeightStore, migrate
from pylon_gql.store.migrations import MIGRATIONS_DIR
from pylon_gql.store.models import (
    CommitClaim,
    EpochMechanism,
    Weight,
    WeightCommit,
    WeightsEpoch,
)

BEFORE_POSTGRES = Path(__file__).parent / "before_postgres" / "migrations"
HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
#: Rows as a server of migration 2 wrote them (one epoch's weights, its record, a landed
#: attempt and one in a block when the server stopped), in SQL both databases read.
ROWS_AT_MIGRATION_2 = [
    f"""INSERT INTO "weight" ("hotkey", "epoch", "weight", "updated_at")
        VALUES ('{HOTKEY}', 727, 1.5, '2026-01-01 00:00:00+00:00')""",
    """INSERT INTO "weights_epoch" ("start", "netuid", "tempo", "index", "end",
        "commit_window_start", "commit_window_end", "written", "block", "block_hash",
        "updated_at")
        VALUES (727, 1, 360, 2, 1087, 777, 1077, TRUE, 730, '0xab', '2026-01-01 00:00:00+00:00')""",
    """INSERT INTO "weight_commit" ("block", "block_hash", "epoch", "weights_epoch", "netuid",
        "mode", "trigger", "uid_count", "digest", "reveal_round", "status", "error",
        "outcome_unknown", "created_at", "updated_at")
        VALUES (780, '0xcd', 727, 727, 1, 'set', 'auto', 2, 'd', NULL, 'finalized', NULL, FALSE,
        '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:10+00:00')""",
    """INSERT INTO "weight_commit" ("block", "block_hash", "epoch", "weights_epoch", "netuid",
        "mode", "trigger", "uid_count", "digest", "reveal_round", "status", "error",
        "outcome_unknown", "created_at", "updated_at")
        VALUES (1140, NULL, 1088, 727, 1, 'commit_reveal', 'manual', 2, 'e', 77, 'in_block',
        NULL, FALSE, '2026-01-02 00:00:00+00:00', '2026-01-02 00:00:10+00:00')""",
]


def shipped() -> list[str]:
    names = [path.name for path in (MIGRATIONS_DIR / "models").glob("[0-9]*_*.py")]
    return sorted(names, key=lambda name: int(name.split("_")[0]))


def first_three(tmp_path: Path) -> Path:
    """Today's history up to migration 2 (what a database of before this change had applied)."""
    location = tmp_path / "up-to-2"
    (location / "models").mkdir(parents=True)
    for name in shipped()[:3]:
        shutil.copy(MIGRATIONS_DIR / "models" / name, location / "models" / name)
    return location


async def execute(url: str, statements: list[str]) -> None:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            for statement in statements:
                db.execute(statement)
        return
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def fetch(url: str, query: str) -> list[tuple]:
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            return [tuple(row) for row in db.execute(query)]
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


async def columns(url: str, table: str) -> set[str]:
    if url.startswith("sqlite://"):
        return {row[1] for row in await fetch(url, f"PRAGMA table_info('{table}')")}
    query = f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"
    return {row[0] for row in await fetch(url, query)}


async def test_a_fresh_database_gets_the_models_tables_once(database_url: str) -> None:
    assert await migrate(database_url) == shipped()
    assert await migrate(database_url) == []
    for model in (Weight, WeightsEpoch, WeightCommit, CommitClaim, EpochMechanism):
        wanted = set(model._meta.fields_db_projection.values())  # every column of the model
        assert "id" in wanted and len(wanted) >= 3
        assert await columns(database_url, model._meta.db_table) == wanted, model
    versions = await fetch(database_url, 'SELECT "version" FROM "aerich" ORDER BY "id"')
    assert [row[0] for row in versions] == shipped()


async def upgraded_and_read_back(url: str) -> None:
    """Open the store on a database at migration 2 holding ROWS_AT_MIGRATION_2: it migrates,
    marks the attempt left in a block interrupted, and keeps every row."""
    store = WeightStore(url, replica="after-upgrade")
    await store.open()
    try:
        assert [(e.hotkey, e.weight) for e in await store.weights(727)] == [(HOTKEY, 1.5)]
        recorded = await store.recorded_epoch(727)
        assert recorded is not None and recorded[1] == BlockRef(730, "0xab")
        assert (recorded[0].tempo, recorded[0].end) == (360, 1087)
        stopped, landed = await store.commits()
        assert (landed.epoch, landed.status, landed.block_hash) == (727, "finalized", "0xcd")
        assert (stopped.epoch, stopped.status, stopped.outcome_unknown) == (1088, "failed", True)
        assert (stopped.reveal_round, stopped.replica, landed.replica) == (77, None, None)
        assert (await store.last_landed_commit(1)) == stopped  # it may have landed
        # The new parts work on the old rows' database: an epoch's claim, this replica's id.
        epoch = epoch_at(1450, 1, 360, commit_window_start_offset=50, commit_window_end_buffer=10)
        attempt = await store.start_commit(
            block=1450, epoch=epoch.start, weights_epoch=727, netuid=1, mode=CommitMode.SET,
            trigger=CommitTrigger.AUTO, uid_count=2, digest="f", at=(epoch, BlockRef(1450, "0xef")),
        )  # fmt: skip
        assert attempt.replica == "after-upgrade"
        with pytest.raises(EpochClaimed):
            await store.start_commit(
                block=1451, epoch=epoch.start, weights_epoch=727, netuid=1, mode=CommitMode.SET,
                trigger=CommitTrigger.AUTO, uid_count=2, digest="f",
            )  # fmt: skip
        # Mechanisms: the old rows are mechanism 0's, whose cleared-or-written epoch is kept;
        # the unique keys take the mechanism (the same weight and claim of mechanism 1 fit).
        assert [e.mechanism for e in await store.weights(727)] == [0]
        assert await store.latest_weights_epoch(1450) == 727
        assert await store.latest_weights_epoch(1450, mechanism=1) is None
        await store.set_weight(727, HOTKEY, 4.0, mechanism=1)
        assert [(e.weight, e.mechanism) for e in await store.weights(727, mechanism=1)] == [
            (4.0, 1)
        ]
        assert [e.weight for e in await store.weights(727)] == [1.5]
        other = await store.start_commit(
            block=1452, epoch=epoch.start, weights_epoch=727, netuid=1, mode=CommitMode.SET,
            trigger=CommitTrigger.AUTO, uid_count=2, digest="f", mechanism=1,
        )  # fmt: skip
        assert other.mechanism == 1 and landed.mechanism == 0
    finally:
        await store.close()
    versions = await fetch(url, 'SELECT "version" FROM "aerich" ORDER BY "id"')
    assert [row[0] for row in versions] == shipped()  # each once


async def test_a_sqlite_database_of_before_postgres_upgrades_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path / 'pylon-finney.sqlite3'}"
    before = sorted(path.name for path in (BEFORE_POSTGRES / "models").glob("*.py"))
    assert await migrate(url, location=BEFORE_POSTGRES) == before  # as an existing user has it
    await execute(url, ROWS_AT_MIGRATION_2)
    await upgraded_and_read_back(url)


async def test_a_database_at_migration_2_upgrades_and_keeps_its_rows(
    database_url: str, tmp_path: Path
) -> None:
    assert await migrate(database_url, location=first_three(tmp_path)) == shipped()[:3]
    await execute(database_url, ROWS_AT_MIGRATION_2)
    await upgraded_and_read_back(database_url)
