"""Leadership: this replica's part in the committer's lease.

A follower tries for the lease every `retry_interval` seconds, so when the leader dies (the OS
frees its file lock, PostgreSQL its session's lock) another replica leads within about that;
the leader checks as often that it still holds it (a dropped database connection loses it).
Winning runs `on_elected` (mark this replica's own interrupted attempts, start the committer),
losing runs `on_deposed` (stop deciding commits). Two leaders for a moment (a leader whose
connection dropped has not noticed yet) are possible; the store's claim of each epoch keeps
them from committing one epoch twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .. import metrics
from ..supervise import Supervisor
from .lease import Lease

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(
        self,
        lease: Lease,
        *,
        replica: str,
        retry_interval: float,
        on_elected: Hook,
        on_deposed: Hook,
    ) -> None:
        self.lease = lease
        self.replica = replica
        self.retry_interval = retry_interval
        #: Whether this replica holds the lease (and so runs the committer).
        self.leader = False
        #: The replica that leads, as far as known (this one's id while it leads).
        self.leader_replica: str | None = None
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._supervisor = Supervisor(
            "committer-lease",
            self._run,
            doing=f"the lease of {lease.label}",
            min_backoff=retry_interval,
            max_backoff=max(retry_interval, 30.0),
            expected=(OSError, TimeoutError, ConnectionError),
        )

    async def start(self) -> None:
        """One attempt now (a lone replica leads before it serves), then the loop."""
        try:
            await self.attempt()
        except Exception as exc:  # the loop retries: a database down at start is not fatal
            logger.warning(
                "could not try for the lease of %s yet (%s: %s); retrying every %g s",
                self.lease.label,
                type(exc).__name__,
                exc,
                self.retry_interval,
            )
        self._supervisor.start()

    async def stop(self) -> None:
        await self._supervisor.stop()
        if self.leader:
            await self._step_down("it stops")
        await self.lease.release()
        self.leader_replica = None

    def status(self) -> dict[str, Any]:
        return {
            "leader": self.leader,
            "replica": self.replica,
            "leaderReplica": self.leader_replica,
        }

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.retry_interval)
            await self.attempt()
            self._supervisor.recovered()

    async def attempt(self) -> None:
        """The leader checks it still holds the lease; a follower tries for it."""
        if self.leader:
            if not await self.lease.held():
                await self._step_down("it lost the lease")
            return
        if not await self.lease.acquire():
            holder = await self.lease.holder()
            if holder != self.leader_replica:
                logger.info(
                    "replica %s follows: %s is led by %s",
                    self.replica,
                    self.lease.label,
                    holder or "a replica that is not known",
                )
            self.leader_replica = holder
            return
        self.leader, self.leader_replica = True, self.replica
        metrics.COMMITTER_LEADER.set(1)
        logger.info("replica %s leads %s", self.replica, self.lease.label)
        try:
            await self._on_elected()
        except BaseException:
            # Not ready to lead (the database failed): let another replica try.
            await self._step_down("it could not get ready to lead")
            await self.lease.release()
            raise

    async def _step_down(self, why: str) -> None:
        self.leader, self.leader_replica = False, None
        metrics.COMMITTER_LEADER.set(0)
        log = logger.info if why == "it stops" else logger.warning
        log("replica %s no longer leads %s: %s", self.replica, self.lease.label, why)
        await self._on_deposed()
