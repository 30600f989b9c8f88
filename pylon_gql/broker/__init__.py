"""Events across replicas: the hub a server runs, relaying commit attempts when it has a broker.

The broker, by what the settings give:
- `PYLON_REDIS_URL` (the Redis the rate limits use): its pub/sub channel.
- else a PostgreSQL store (`PYLON_DATABASE_URL=postgres://...`): LISTEN/NOTIFY on the same
  database, the store sending each change in the transaction that records it. No Redis needed.
- else none: every event stays in its process (one replica, or SQLite).

The channel is `PYLON_EVENTS_CHANNEL`, by default `pylon-gql:<netuid>:events`. Replicas on one
channel must share the commit log (one database): the ids they relay are the log's.
"""

from __future__ import annotations

import logging

from ..events import EventHub
from ..settings import Settings
from ..store.migrations import dialect
from .hub import BrokeredHub, Relay

logger = logging.getLogger(__name__)

__all__ = ["BrokeredHub", "Relay", "event_hub"]


class UnrelayedHub(EventHub):
    """A hub that should relay but cannot (a missing extra): local, and says so."""

    def __init__(self, queue_size: int, broker: str, problem: str) -> None:
        super().__init__(queue_size)
        self.broker = broker
        self.problem = problem

    def status(self) -> dict[str, object]:
        return {"broker": self.broker, "state": "unavailable", "lastError": self.problem}


def channel(settings: Settings) -> str:
    return settings.events_channel or f"pylon-gql:{settings.netuid}:events"


def event_hub(settings: Settings) -> EventHub:
    """The server's hub: brokered through Redis, or PostgreSQL, or local (see the module)."""
    size = settings.subscriber_max_lag
    if settings.redis_url is not None:
        try:
            from .redis_relay import RedisRelay
        except ImportError:
            problem = (
                "PYLON_REDIS_URL is set but redis-py is not installed: install pylon-gql[redis] "
                "to relay commit events between replicas (they stay in this process meanwhile)"
            )
            logger.warning("%s", problem)
            return UnrelayedHub(size, "redis", problem)
        relay: Relay = RedisRelay(settings.redis_url.get_secret_value(), channel(settings))
        return BrokeredHub(relay, queue_size=size)
    url = settings.resolved_database_url()
    if dialect(url) == "postgres":
        try:
            from .postgres_relay import PostgresRelay

            relay = PostgresRelay(url, channel(settings))
        except (ImportError, ValueError) as exc:
            problem = f"commit events stay in this process: {exc}"
            logger.warning("%s", problem)
            return UnrelayedHub(size, "postgres", problem)
        return BrokeredHub(relay, queue_size=size)
    return EventHub(queue_size=size)
