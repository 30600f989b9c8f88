"""The store's database: Tortoise's configuration for a URL, and aerich's migrations.

Migrations are applied when the store opens (and by `pylon-gql migrate`); they ship inside the
package of a wheel and sit at the repository root in a checkout. One history serves SQLite and
PostgreSQL: each migration returns the SQL of the database's dialect.

Replicas that start together migrate one after the other, each applying only what the one
before left undone (aerich checks what is applied and then applies it, which two processes at
once would both do): under a PostgreSQL advisory lock held by a connection of the migrating
process, or under a lock file beside the SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext

from .errors import StoreUnavailable, unreachable

APP = "models"
#: aerich's migrations: shipped inside the package of a wheel (`pylon_gql/migrations`), or
#: `migrations/` at the repository root when running from a checkout.
_MIGRATION_DIRS = (
    Path(__file__).resolve().parents[1] / "migrations",
    Path(__file__).resolve().parents[2] / "migrations",
)
MIGRATIONS_DIR = next(
    (path for path in _MIGRATION_DIRS if (path / APP).is_dir()), _MIGRATION_DIRS[-1]
)
#: The advisory lock migrations run under: pg_advisory_lock(int4, int4)'s two-key space, which
#: never meets a one-key (bigint) lock. 0x70796c6e is "pyln".
ADVISORY_LOCK = (0x70796C6E, 1)
#: How long a replica waits for another's migrations before it gives up.
LOCK_TIMEOUT = 300.0


def dialect(url: str) -> str:
    """`sqlite` or `postgres` (tortoise's name for asyncpg's schemes), else the URL's scheme."""
    scheme = url.split(":", 1)[0].lower()
    return "postgres" if scheme in ("postgres", "postgresql", "asyncpg") else scheme


def tortoise_config(url: str) -> dict[str, Any]:
    # The connection is named after the dialect: tortoise caches each model's SQL per
    # connection name, so a process (the tests) that opens SQLite and Postgres stores never
    # sends one dialect's SQL to the other.
    name = dialect(url)
    return {
        "connections": {name: url},
        "apps": {
            APP: {
                "models": ["pylon_gql.store.models", "aerich.models"],
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:// URL (None: another database, or an in-memory one)."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def ensure_sqlite_dir(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


async def migrate(url: str, location: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply aerich's migrations that the database at `url` lacks; returns their names."""
    from aerich import Command
    from tortoise import connections

    if not (location / APP).is_dir():
        # aerich would apply nothing and say nothing; the first query would then fail.
        raise FileNotFoundError(
            f"no database migrations in {location / APP}: reinstall pylon-gql (the wheel ships "
            "them in pylon_gql/migrations) or run from a checkout that has migrations/"
        )
    ensure_sqlite_dir(url)
    with TortoiseContext() as context:
        try:
            async with _sqlite_lock(url):
                try:
                    command = Command(tortoise_config(url), app=APP, location=str(location))
                    await command.init()
                except Exception as exc:
                    if unreachable(exc):
                        raise StoreUnavailable(url, exc) from None
                    raise
                async with _advisory_lock(connections.get(dialect(url))):
                    return await command.upgrade(run_in_transaction=True)
        finally:
            await context.close_connections()


@contextlib.asynccontextmanager
async def _sqlite_lock(url: str) -> AsyncIterator[None]:
    """A lock file beside a SQLite file (`<file>.migrate.lock`); nothing for another database."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    from filelock import AsyncFileLock, Timeout

    lock = AsyncFileLock(f"{path}.migrate.lock", timeout=LOCK_TIMEOUT)
    try:
        await lock.acquire()
    except Timeout:
        raise TimeoutError(
            f"another process has been migrating {path} for {LOCK_TIMEOUT:.0f} s (it holds "
            f"{lock.lock_file}): wait for it, or stop it if it hangs"
        ) from None
    try:
        yield
    finally:
        await lock.release()


@contextlib.asynccontextmanager
async def _advisory_lock(client: Any) -> AsyncIterator[None]:
    """PostgreSQL's session advisory lock, held by one pooled connection while aerich migrates
    on others; nothing for another database."""
    if client.capabilities.dialect != "postgres":
        yield
        return
    async with client.acquire_connection() as connection:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", *ADVISORY_LOCK):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"another process has been migrating the database for {LOCK_TIMEOUT:.0f} s "
                    "(it holds the advisory lock pg_advisory_lock"
                    f"{ADVISORY_LOCK}): wait for it, or stop it if it hangs"
                )
            await asyncio.sleep(0.1)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1, $2)", *ADVISORY_LOCK)
