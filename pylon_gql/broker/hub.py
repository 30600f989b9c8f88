"""`BrokeredHub`: the event hub of one replica among several, relaying commit attempts.

Each event reaches this replica's subscribers at once, as in `EventHub`; a commit attempt is
also handed to the relay, which sends it to the broker, and the attempts other replicas relay
come back through the broker into this hub. A replica delivers its own events locally and
skips their echo (by the id of its process, `instance`) rather than delivering them from the
broker: its own subscribers then never wait on the broker, nor miss anything while it is down,
and each event still reaches every subscriber once.

The broker delivers at most once (an outage loses what was sent meanwhile): a `weightCommit`
subscriber that must miss nothing resubscribes with `fromId`, which replays the commit log.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from ..events import CommitNotices, Event, EventHub
from ..models import CommitAttempt
from .codec import SHARED, UnreadableMessage, decode, encode

logger = logging.getLogger(__name__)


class Relay(Protocol):
    """Carries bytes between the replicas' hubs (a Redis pub/sub or PostgreSQL NOTIFY channel)."""

    #: The broker's name in /health ("redis", "postgres").
    name: str

    def start(self, deliver: Callable[[bytes], None]) -> None:
        """Connect in the background (and again after an outage); `deliver` gets every
        message on the channel, this replica's own included."""
        ...

    async def stop(self) -> None: ...

    def send(self, payload: bytes) -> None:
        """Queue `payload` for the other replicas without waiting; at most once."""
        ...

    def status(self) -> dict[str, Any]: ...

    def attach_store(self, store: CommitNotices, origin: str) -> None:
        """Have the store send the commit log's changes itself, if this broker takes them
        that way (PostgreSQL's NOTIFY, in the store's transactions)."""
        ...


def instance_id() -> str:
    """This process on the channel: readable in /health, unique even among replicas that share
    a host or a configured name (a replica that skipped another's events as its own would
    lose them)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BrokeredHub(EventHub):
    def __init__(self, relay: Relay, *, queue_size: int = 256, instance: str | None = None) -> None:
        super().__init__(queue_size)
        self.relay = relay
        self.instance = instance or instance_id()
        #: Events other replicas relayed to this one, and messages skipped as unreadable.
        self.received = 0
        self.unreadable = 0

    def publish(self, event: Event) -> None:
        super().publish(event)
        if isinstance(event, SHARED):
            assert isinstance(event, CommitAttempt)
            self.relay.send(encode(event, origin=self.instance))

    def _deliver(self, payload: bytes) -> None:
        try:
            origin, event = decode(payload)
        except UnreadableMessage as exc:
            self.unreadable += 1
            if self.unreadable == 1 or self.unreadable % 1000 == 0:
                logger.warning(
                    "skipped %d message(s) on the event channel that are not events of this "
                    "version (%s): is another program, or a newer pylon-gql, on it?",
                    self.unreadable,
                    exc,
                )
            return
        if origin == self.instance:
            return  # delivered to this replica's subscribers when it was published
        self.received += 1
        super().publish(event)

    def attach_store(self, store: CommitNotices) -> None:
        self.relay.attach_store(store, self.instance)

    async def start(self) -> None:
        self.relay.start(self._deliver)

    async def stop(self) -> None:
        await self.relay.stop()

    def status(self) -> dict[str, object]:
        return {
            "broker": self.relay.name,
            "instance": self.instance,
            **self.relay.status(),
            "received": self.received,
        }
