"""Turns at delivering subscription results, so that many subscriptions cannot crowd the loop.

Every result a subscription delivers is executed against its selection, then sent. Two thousand
subscriptions (twenty connections of a hundred each) that replay past blocks, or that all get
the block the follower just announced, are two thousand tasks ready at the same turn of the
event loop, and everything else the server does, `/health` included, waits behind all of them
(0.6-0.9 s on two cores). Taking turns keeps the ready ones few:

- a connection delivers one result at a time, whichever of its subscriptions it belongs to, so
  a connection with a hundred subscriptions gets no more turns than one with a single one;
- at most `DELIVERY_CONCURRENCY` connections execute a result at once, server-wide, in the order
  they asked. The server-wide slot is given back as soon as the result is executed, before it
  is sent (`DeliveryTurnsExtension`): a client that does not read holds up only itself, until
  the send timeout drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types import StreamExecutionResult

#: Connections executing a subscription result at once, server-wide.
DELIVERY_CONCURRENCY = 4


class DeliveryTurns:
    """One connection's turns at delivering results, out of the server's shared slots."""

    def __init__(self, shared: asyncio.Semaphore | None = None) -> None:
        self._shared = shared if shared is not None else asyncio.Semaphore(DELIVERY_CONCURRENCY)
        self._own = asyncio.Lock()
        #: (the turn, the task executing it) while a shared slot is held.
        self._holder: tuple[object, asyncio.Task[object] | None] | None = None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Held while one result is produced, executed and sent (across the subscription's
        `yield`); the shared slot only until `executed()`."""
        async with self._own:
            await self._shared.acquire()
            # Both may be free at once, and then nothing here waited: a subscription replaying
            # a hundred blocks would run all of them in one step of the loop.
            await asyncio.sleep(0)
            turn = object()
            self._holder = (turn, asyncio.current_task())
            try:
                yield
            finally:
                if self._holder is not None and self._holder[0] is turn:
                    self._release()

    def executed(self) -> None:
        """The current task's result is executed and about to be sent: its shared slot goes
        to the next connection."""
        if self._holder is not None and self._holder[1] is asyncio.current_task():
            self._release()

    def _release(self) -> None:
        self._holder = None
        self._shared.release()


class DeliveryTurnsExtension(SchemaExtension):
    """Gives a subscription's shared slot back between executing a result and sending it."""

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:  # type: ignore[override]
        turns = getattr(self.execution_context.context, "turns", None)
        if isinstance(turns, DeliveryTurns):
            turns.executed()
        yield
