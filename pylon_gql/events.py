"""An in-process hub of server events (new finalized blocks for now).

Each subscriber gets its own bounded queue, so one slow reader cannot make the hub grow without
bound; a subscriber that falls a whole queue behind is told so instead of silently missing
blocks. One process only: a broker replaces this when the server runs as several replicas.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType

from .chain.models import BlockRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A finalized block the server now serves (its chain data is already cached)."""

    ref: BlockRef


Event = NewBlock


class SubscriberOverflow(Exception):
    """The subscriber fell so far behind that its queue filled up and events were lost."""


class Subscription:
    """One subscriber's stream of events; registered from creation until `close()`."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self._overflowed = False

    def _offer(self, event: Event) -> bool:
        """Queue `event`; False (and the subscription ends) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True
            return False
        return True

    def close(self) -> None:
        self._hub._remove(self)
        # Wake a reader blocked in __anext__ so it ends instead of waiting forever.
        if not self._queue.full():
            self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        if self._overflowed and self._queue.empty():
            raise SubscriberOverflow("event queue full: events were dropped")
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventHub:
    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._subscriptions: list[Subscription] = []

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber without waiting for any of them."""
        for subscription in list(self._subscriptions):
            if not subscription._offer(event):
                logger.warning(
                    "event subscriber fell %d events behind; dropping it", self.queue_size
                )
                self._remove(subscription)

    def subscribe(self) -> Subscription:
        """A new subscription, receiving every event published from now on.

        Use as `async with hub.subscribe() as events: async for event in events: ...`.
        """
        subscription = Subscription(self, self.queue_size)
        self._subscriptions.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
