"""`PostgresRelay`: replicas' events over PostgreSQL's LISTEN/NOTIFY, when the store is there.

No Redis needed: the store sends each change of a commit attempt with `pg_notify` in the
transaction that records it (`CommitLog.notify_commits`), so the other replicas hear of it when,
and only if, it is committed; this relay only listens, on a connection of its own, and hands
what it hears to the hub. NOTIFY keeps nothing for a listener that is not connected: at most
once, as with Redis (`weightCommit(fromId:)` replays the commit log).

A connection that drops is seen by asyncpg (its termination callback) or by a `SELECT 1` every
`ping_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

from ..events import CommitNotices
from ..leadership.postgres import connection_options
from ..models import CommitAttempt
from ..redaction import redact_url
from .codec import encode
from .relay import ListeningRelay

#: PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (and with it the transaction).
MAX_PAYLOAD = 7900
#: Nor a channel name longer than an identifier (63 bytes).
MAX_CHANNEL = 63
#: The listening session's name in `pg_stat_activity`.
APPLICATION_NAME = "pylon-gql events"


def _asyncpg() -> Any:
    import asyncpg

    return asyncpg


class PostgresRelay(ListeningRelay):
    name = "postgres"

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        ping_interval: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> None:
        if len(channel.encode()) > MAX_CHANNEL:
            raise ValueError(
                f"PYLON_EVENTS_CHANNEL is {len(channel.encode())} bytes: PostgreSQL's channels "
                f"take at most {MAX_CHANNEL}"
            )
        asyncpg = _asyncpg()
        super().__init__(
            channel=channel,
            shown_url=redact_url(url),
            listen=self._listen,
            errors=(OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError),
            min_backoff=min_backoff,
            max_backoff=max_backoff,
        )
        self._options = connection_options(url)
        self.ping_interval = ping_interval
        self.connect_timeout = connect_timeout

    def status(self) -> dict[str, Any]:
        # The store sends, in its transactions: nothing is sent or dropped here.
        status = super().status()
        del status["sent"], status["dropped"]
        return status

    def send(self, payload: bytes) -> None:
        """Nothing to do: the store sent it with the transaction that recorded it."""

    def attach_store(self, store: CommitNotices, origin: str) -> None:
        store.notify_commits(self.channel, lambda event: self.payload(event, origin))

    @staticmethod
    def payload(event: CommitAttempt, origin: str) -> str:
        """What the store sends for `event`: the codec's, its error shortened if it would not
        fit in a NOTIFY."""
        text = encode(event, origin=origin).decode()
        if len(text.encode()) > MAX_PAYLOAD and event.error:
            event = dataclasses.replace(event, error=event.error[:1000] + "... (shortened)")
            text = encode(event, origin=origin).decode()
        return text

    async def _listen(self) -> None:
        lost = asyncio.Event()
        connection = await _asyncpg().connect(
            **self._options,
            timeout=self.connect_timeout,
            # Named in pg_stat_activity: an operator sees which session listens.
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(self.channel, self._heard)
            self.connected()
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.ping_interval):
                        await lost.wait()
                if lost.is_set() or connection.is_closed():
                    raise ConnectionError("the LISTEN connection to PostgreSQL closed")
                async with asyncio.timeout(2 * self.ping_interval):
                    await connection.execute("SELECT 1")
        finally:
            with contextlib.suppress(Exception):
                connection.terminate()

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self.deliver(payload.encode())
