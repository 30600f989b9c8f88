"""What every broker's relay shares: a supervised listener, its state, and its log lines.

The listener connects, subscribes, hands every message to the hub and watches the connection;
when it drops (the broker down at start, killed, a network that stops answering) the
supervisor logs one line for the whole outage, /health shows `down`, and it connects again with
a doubling backoff. The server goes on meanwhile: each replica's own events never wait on the
broker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from ..events import CommitNotices
from ..supervise import Supervisor

logger = logging.getLogger(__name__)

RelayState = Literal["stopped", "connecting", "connected", "down"]


class ListeningRelay:
    #: The broker's name in /health and in the log ("redis", "postgres").
    name = ""

    def __init__(
        self,
        *,
        channel: str,
        shown_url: str,
        listen: Callable[[], Awaitable[None]],
        errors: tuple[type[Exception], ...],
        min_backoff: float,
        max_backoff: float,
    ) -> None:
        self.channel = channel
        self.shown_url = shown_url
        self.state: RelayState = "stopped"
        #: Events sent to the broker, and those dropped (the broker could not take them).
        self.sent = 0
        self.dropped = 0
        self._deliver: Callable[[bytes], None] | None = None
        self._ever_connected = False
        self.supervisor = Supervisor(
            f"event-relay-{self.name}",
            listen,
            doing=f"relaying commit events through {self.title} at {shown_url}",
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            expected=errors,
            on_failure=self._failed,
            log_repeats=False,
        )

    @property
    def title(self) -> str:
        return {"redis": "Redis", "postgres": "PostgreSQL"}.get(self.name, self.name)

    def start(self, deliver: Callable[[bytes], None]) -> None:
        if self.supervisor.running:
            return
        self._deliver = deliver
        self.state = "connecting"
        self.supervisor.start()

    async def stop(self) -> None:
        await self.supervisor.stop()
        self.state = "stopped"

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "channel": self.channel,
            "restarts": self.supervisor.restarts,
            "lastError": self.supervisor.last_error,
            "sent": self.sent,
            "dropped": self.dropped,
        }

    def attach_store(self, store: CommitNotices, origin: str) -> None:
        """Nothing by default: this relay sends what the hub hands it."""

    def deliver(self, payload: bytes) -> None:
        if self._deliver is not None:
            self._deliver(payload)

    def _failed(self, exc: Exception) -> None:
        self.state = "down"

    def connected(self) -> None:
        """The listener is subscribed (again): log it once, and reset the backoff."""
        if not self._ever_connected:
            logger.info(
                "commit events are relayed between replicas through %s at %s (channel %s)",
                self.title,
                self.shown_url,
                self.channel,
            )
        elif self.state == "down":
            logger.warning(
                "%s at %s is back: commit events of other replicas reach this one again "
                "(those sent while it was down are lost: weightCommit(fromId:) replays them)",
                self.title,
                self.shown_url,
            )
        self._ever_connected = True
        self.state = "connected"
        self.supervisor.recovered()
