"""Replicas that start together migrate one database once: under PostgreSQL's advisory lock, or
under the lock file beside a SQLite file, each migration is applied (and recorded) by exactly
one of them."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
from collections import Counter
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from pylon_gql.store import migrate
from pylon_gql.store.migrations import MIGRATIONS_DIR

from .test_migration_history import fetch

PROCESSES = 4
ROUNDS = 5


def shipped() -> list[str]:
    names = [path.name for path in (MIGRATIONS_DIR / "models").glob("[0-9]*_*.py")]
    return sorted(names, key=lambda name: int(name.split("_")[0]))


def _migrate_after(barrier: Barrier, url: str) -> list[str]:
    barrier.wait(timeout=60)  # every process imported and ready: they start at once
    return asyncio.run(migrate(url))


async def fresh_database(database_url: str, round_: int) -> str:
    if database_url.startswith("sqlite://"):
        return database_url.replace("pylon.sqlite3", f"round-{round_}.sqlite3")
    from tests.postgres import create_database, with_database

    return await create_database(with_database(database_url, "postgres"))


async def recorded(url: str) -> Counter[str]:
    return Counter(row[0] for row in await fetch(url, 'SELECT "version" FROM "aerich"'))


async def test_processes_migrating_at_once_apply_each_migration_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")  # no inherited event loop or connections
    with context.Pool(PROCESSES) as pool:
        for round_ in range(ROUNDS):
            url = await fresh_database(database_url, round_)
            barrier = context.Manager().Barrier(PROCESSES)
            results = [pool.apply_async(_migrate_after, (barrier, url)) for _ in range(PROCESSES)]
            applied = [await asyncio.to_thread(r.get, 120) for r in results]
            # Each migration applied by exactly one of them; the others found nothing to do.
            assert sorted(name for names in applied for name in names) == shipped(), applied
            assert await recorded(url) == Counter(shipped()), round_


def _cli(url: str, cwd: Path) -> subprocess.Popen[str]:
    # The tests' own PYLON_TEST_* variables name no setting: the command would warn of them.
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")}
    environment = clean | {"PYLON_DATABASE_URL": url, "PYLON_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-c", "from pylon_gql.cli import main; main()", "migrate"],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_pylon_gql_migrate_run_four_times_at_once(database_url: str, tmp_path: Path) -> None:
    url = await fresh_database(database_url, 99)
    processes = [_cli(url, tmp_path) for _ in range(PROCESSES)]
    outputs = []
    for process in processes:
        out, _ = await asyncio.to_thread(process.communicate, timeout=120)
        outputs.append(out)
        assert process.returncode == 0, out
    assert sum("applied 4 migration(s)" in out for out in outputs) <= 1, outputs
    assert await recorded(url) == Counter(shipped())


@pytest.mark.parametrize("missing", ["refused", "password"])
async def test_an_unreachable_database_is_one_line_that_says_what_to_check(
    missing: str, tmp_path: Path, postgres_server: str
) -> None:
    from tests.postgres import free_port, with_database

    if missing == "refused":
        url = f"postgres://pylon:s3cret-pw@127.0.0.1:{free_port()}/pylon"
    else:  # a user the server does not know
        url = with_database(postgres_server, "pylon").replace(
            "postgres://postgres@", "postgres://nobody:s3cret-pw@"
        )
    process = _cli(url, tmp_path)
    out, _ = await asyncio.to_thread(process.communicate, timeout=120)
    assert process.returncode != 0
    assert "s3cret-pw" not in out and "Traceback" not in out, out
    (line,) = [line for line in out.splitlines() if line.strip()]
    assert "PYLON_DATABASE_URL" in line and "***@127.0.0.1" in line, line
