"""Events across replicas: the hub a server runs, relaying commit attempts when it has a broker.

With `PYLON_REDIS_URL` set (the Redis the rate limits use), commit attempts go through its
pub/sub channel (`PYLON_EVENTS_CHANNEL`, by default `pylon-gql:<netuid>:events`), so a
`weightCommit` subscriber sees the attempts of every replica on the channel. Replicas on one
channel must share the commit log (one database): the ids they relay are the log's. Without a
Redis every event stays in its process.
"""

from __future__ import annotations

import logging

from ..events import EventHub
from ..settings import Settings
from .hub import BrokeredHub, Relay

logger = logging.getLogger(__name__)

__all__ = ["BrokeredHub", "Relay", "event_hub"]


class UnrelayedHub(EventHub):
    """A hub that should relay but cannot (the `redis` extra is missing): local, and says so."""

    def __init__(self, queue_size: int, problem: str) -> None:
        super().__init__(queue_size)
        self.problem = problem

    def status(self) -> dict[str, object]:
        return {"broker": "redis", "state": "unavailable", "lastError": self.problem}


def channel(settings: Settings) -> str:
    return settings.events_channel or f"pylon-gql:{settings.netuid}:events"


def event_hub(settings: Settings) -> EventHub:
    """The server's hub: brokered through Redis when `PYLON_REDIS_URL` is set, else local."""
    size = settings.subscriber_max_lag
    if settings.redis_url is None:
        return EventHub(queue_size=size)
    try:
        from .redis_relay import RedisRelay
    except ImportError:
        problem = (
            "PYLON_REDIS_URL is set but redis-py is not installed: install pylon-gql[redis] "
            "to relay commit events between replicas (they stay in this process meanwhile)"
        )
        logger.warning("%s", problem)
        return UnrelayedHub(size, problem)
    relay = RedisRelay(settings.redis_url.get_secret_value(), channel(settings))
    return BrokeredHub(relay, queue_size=size)
