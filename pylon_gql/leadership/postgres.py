"""Leases and signer locks for replicas that share a PostgreSQL database: advisory locks.

The committer's lease is a session lock (`pg_try_advisory_lock`) on a connection of its own,
kept open while it is held: PostgreSQL frees it when that session ends, so a leader that is
killed, or whose connection drops, loses it, and a follower's next attempt wins it. The holder
names itself in the session's `application_name`, which is how a follower says who leads
(`pg_locks` joined to `pg_stat_activity`).

A signer's lock is a transaction lock (`pg_advisory_xact_lock`, waited for) on a pooled
connection, released when the transaction ends: by the rollback after the submission, or by
the server when the connection dies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..chain.errors import ChainUnavailable
from .keys import LockName, leader, signer

if TYPE_CHECKING:
    import asyncpg

logger = logging.getLogger(__name__)

#: Seconds a connection may take to open, and a lease's query to answer.
_CONNECT_TIMEOUT = 10.0
_QUERY_TIMEOUT = 10.0
#: `application_name` holds at most 63 bytes; this prefix marks a lease's session.
_APPLICATION = "pylon-gql "
#: Connections a replica's signed writes use at once (one per signing key in flight).
_SIGNER_CONNECTIONS = 4

_HOLDER = """
SELECT a.application_name
FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
LIMIT 1
"""
_RUNNING = """
SELECT EXISTS (
  SELECT 1 FROM pg_stat_activity
  WHERE datname = current_database() AND application_name = $1
)
"""
_STILL_HELD = """
SELECT EXISTS (
  SELECT 1 FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid()
    AND classid = $1::bigint::oid AND objid = $2::bigint::oid
)
"""


def connection_options(url: str) -> dict[str, Any]:
    """asyncpg's `connect` arguments for the store's URL (tortoise's form: `postgres://`,
    `postgresql://` or `asyncpg://`, with its pool options in the query, which asyncpg would
    take for server settings)."""
    from tortoise.backends.base.config_generator import expand_db_url

    credentials = expand_db_url(url)["credentials"]
    options = {
        key: credentials[key]
        for key in ("host", "port", "user", "password", "database", "ssl")
        if credentials.get(key) is not None
    }
    return options


def _application_name(replica: str) -> str:
    """The lease session's name: PostgreSQL keeps 63 bytes of it (ids are shorter)."""
    return (_APPLICATION + replica)[:63]


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError as exc:  # the store says the same at open; this is a second line
        raise RuntimeError(
            "a postgres:// database needs asyncpg: install pylon-gql[postgres]"
        ) from exc
    return asyncpg


def _lost_errors() -> tuple[type[BaseException], ...]:
    asyncpg = _asyncpg()
    return (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class AdvisoryLease:
    """The committer's lease as a session advisory lock on a connection of its own."""

    def __init__(self, options: dict[str, Any], name: LockName, replica: str) -> None:
        self.label = name.label
        self.replica = replica
        self._options = options
        self._name = name
        self._connection: asyncpg.Connection | None = None
        self._held = False

    async def _connected(self) -> asyncpg.Connection:
        connection = self._connection
        if connection is None or connection.is_closed():
            connection = self._connection = await _asyncpg().connect(
                **self._options,
                timeout=_CONNECT_TIMEOUT,
                server_settings={"application_name": _application_name(self.replica)},
            )
        return connection

    async def acquire(self) -> bool:
        if self._held:
            return True
        try:
            connection = await self._connected()
            won = await connection.fetchval(
                "SELECT pg_try_advisory_lock($1)", self._name.advisory, timeout=_QUERY_TIMEOUT
            )
        except _lost_errors():
            await self._drop()
            raise
        self._held = bool(won)
        return self._held

    async def held(self) -> bool:
        if not self._held:
            return False
        connection = self._connection
        try:
            if connection is None or connection.is_closed():
                raise ConnectionError("the lease's connection closed")
            # A round trip also tells a half-open TCP connection from a live one.
            still = await connection.fetchval(
                _STILL_HELD, *self._name.advisory_parts, timeout=_QUERY_TIMEOUT
            )
        except _lost_errors() as exc:
            logger.error(
                "lost the lease of %s: its database connection failed (%s: %s); PostgreSQL "
                "frees the lock when the session ends, so another replica may lead now",
                self.label,
                type(exc).__name__,
                exc,
            )
            await self._drop()
            return False
        if not still:  # unlocked behind our back (pg_advisory_unlock_all, a pooler)
            logger.error("lost the lease of %s: the session no longer holds the lock", self.label)
            self._held = False
        return self._held

    async def holder(self) -> str | None:
        if self._held:
            return self.replica
        connection = await self._connected()
        name = await connection.fetchval(
            _HOLDER, *self._name.advisory_parts, timeout=_QUERY_TIMEOUT
        )
        if not name:
            return None
        return str(name).removeprefix(_APPLICATION)

    async def running(self, replica: str) -> bool:
        if replica == self.replica:
            return True
        # A replica's presence is its lease session, named after it, open from its first
        # attempt at the lease until it stops (or dies: then the server ends the session).
        connection = await self._connected()
        return bool(
            await connection.fetchval(_RUNNING, _application_name(replica), timeout=_QUERY_TIMEOUT)
        )

    async def release(self) -> None:
        held, self._held = self._held, False
        connection = self._connection
        if held and connection is not None and not connection.is_closed():
            with contextlib.suppress(*_lost_errors()):
                await connection.fetchval(
                    "SELECT pg_advisory_unlock($1)", self._name.advisory, timeout=_QUERY_TIMEOUT
                )
        await self._drop()

    async def _drop(self) -> None:
        """Close the connection (its session's locks go with it)."""
        self._held = False
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.close(timeout=_QUERY_TIMEOUT)
        except Exception:  # a connection that is gone cannot close cleanly
            connection.terminate()


class AdvisorySignerLocks:
    """A signer's lock as a transaction advisory lock on a pooled connection."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._pool: asyncpg.Pool | None = None

    async def _connections(self) -> asyncpg.Pool:
        pool = self._pool
        if pool is None:
            pool = self._pool = await _asyncpg().create_pool(
                **self._options,
                min_size=0,
                max_size=_SIGNER_CONNECTIONS,
                timeout=_CONNECT_TIMEOUT,
                server_settings={"application_name": "pylon-gql signer"},
            )
        return pool

    @contextlib.asynccontextmanager
    async def hold(self, address: str) -> AsyncIterator[None]:
        name = signer(address)
        try:
            pool = await self._connections()
            connection = await pool.acquire(timeout=_CONNECT_TIMEOUT)
        except _lost_errors() as exc:
            raise ChainUnavailable(
                f"the lock of {name.label} could not be taken: the database did not answer "
                f"({type(exc).__name__}); nothing was sent, retry"
            ) from exc
        transaction = connection.transaction()
        started = False
        try:
            try:
                await transaction.start()
                started = True
                # Waits while another replica's write signed by this key is being submitted
                # (the caller's timeout bounds it; a cancelled wait is cancelled server-side).
                await connection.execute("SELECT pg_advisory_xact_lock($1)", name.advisory)
            except _lost_errors() as exc:
                raise ChainUnavailable(
                    f"the lock of {name.label} could not be taken: the database did not answer "
                    f"({type(exc).__name__}); nothing was sent, retry"
                ) from exc
            yield
        finally:
            if started:
                try:
                    await transaction.rollback()  # ends the transaction: frees the lock
                except _lost_errors() as exc:
                    # Only the unlock failed (the write went on): a dead session's lock is
                    # freed by the server anyway.
                    logger.warning(
                        "releasing the lock of %s failed (%s: %s)",
                        name.label,
                        type(exc).__name__,
                        exc,
                    )
            await pool.release(connection)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class AdvisoryCoordination:
    """Replicas sharing the PostgreSQL database at `url`."""

    kind = "postgres"

    def __init__(self, url: str) -> None:
        self._options = connection_options(url)
        self.signers = AdvisorySignerLocks(self._options)

    def leader_lease(self, netuid: int, hotkey: str, replica: str) -> AdvisoryLease:
        return AdvisoryLease(self._options, leader(netuid, hotkey), replica)

    async def close(self) -> None:
        await self.signers.close()
