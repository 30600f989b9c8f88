"""Single flight: one call per key, whose outcome every concurrent asker of that key shares.

A hundred dashboards asking for the metagraph of a new block at once must cost the node one
call, not a hundred; the same holds for rendering one GraphQL answer. The call runs in its own
task, shielded: an asker that gives up (a client that disconnects) does not cancel it for the
others. An error reaches every asker of that flight and is not remembered: the next asker after
it starts a new call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    def __contains__(self, key: K) -> bool:
        """Whether a call for `key` is under way."""
        return key in self._flights

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        """The outcome of `call()`, or of the call for `key` already under way."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(call())
            self._flights[key] = flight
            flight.add_done_callback(functools.partial(self._landed, key))
        return await asyncio.shield(flight)

    def _landed(self, key: K, flight: asyncio.Future[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved here: every asker may have given up
