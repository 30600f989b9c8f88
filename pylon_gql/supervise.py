"""Supervised background loops: run, and after a failure log, back off, and run again.

`Supervisor` runs any loop; `BlockListener` runs one that follows the chain's new blocks.

The follower, the change watcher and the committer each run one loop for the server's whole
life. None of them may die of an error (a node that drops, a database that hiccups), and
/health must show how each is doing: `Supervisor` runs the loop, doubles its backoff from
`min_backoff` to `max_backoff` while it keeps failing, and keeps the count of restarts and the
last error for /health. The loop tells it when it is healthy again (`recovered()`), which resets
the backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .events import EventBus, NewBlock, Subscription
from .models import BlockRef

logger = logging.getLogger(__name__)

#: The backoff stops doubling after this many failures in a row (it is capped anyway).
_MAX_DOUBLINGS = 10


def backoff(failures: int, min_backoff: float, max_backoff: float) -> float:
    """Seconds to wait after `failures` failures in a row (1 or more)."""
    return min(max_backoff, min_backoff * 2 ** min(failures - 1, _MAX_DOUBLINGS))


class Supervisor:
    """Runs `loop` in a task until it returns or is stopped; restarts it after each failure."""

    def __init__(
        self,
        name: str,
        loop: Callable[[], Awaitable[None]],
        *,
        doing: str,
        min_backoff: float,
        max_backoff: float,
        expected: tuple[type[Exception], ...] = (),
        on_failure: Callable[[Exception], None] | None = None,
        log_repeats: bool = True,
    ) -> None:
        """`doing` names the work in the log ("following heads failed ..."); failures of the
        `expected` kinds (a node that drops) are logged in a line, others with a traceback;
        `on_failure` lets the owner show the failure in its own state before the backoff.
        `log_repeats=False`: only the first failure in a row is logged (the rest at DEBUG), for
        an outage that /health shows while it lasts (a broker that is down)."""
        self.name = name
        self.doing = doing
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.restarts = 0
        self.last_error: str | None = None
        self._loop = loop
        self._expected = expected
        self._on_failure = on_failure
        self._log_repeats = log_repeats
        self._failures = 0  # in a row, since the loop last recovered: sets the backoff
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._supervise(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Cut the backoff short: what the loop waits for may be back (the node answers)."""
        self._wake.set()

    def recovered(self) -> None:
        """The loop made progress: the next failure backs off from `min_backoff` again."""
        self._failures = 0

    def status(self, state: str) -> dict[str, object]:
        """The loop's part of /health, with the owner's `state`."""
        return {"state": state, "restarts": self.restarts, "lastError": self.last_error}

    async def _supervise(self) -> None:
        while True:
            try:
                await self._loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # supervised: log, back off, run again
                self._failures += 1
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                if self._on_failure is not None:
                    self._on_failure(exc)
                delay = backoff(self._failures, self.min_backoff, self.max_backoff)
                log = logger.warning if isinstance(exc, self._expected) else logger.exception
                if self._failures > 1 and not self._log_repeats:
                    log = logger.debug
                log("%s failed (%s); retrying in %.1f s", self.doing, self.last_error, delay)
                self._wake.clear()  # only a wake during the backoff cuts it short
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()


class BlockListener:
    """Hands every block the event bus announces to `on_block`, in order, in a supervised loop.

    The watcher, the committer and the response cache's pre-renderer each follow the chain
    this way. `start()` subscribes before it returns, so a listener started before the follower
    misses no block; after a failure (or a subscription that fell a whole queue behind) it
    subscribes afresh, and the owner's `on_failure` can forget what it compared with.
    """

    def __init__(
        self,
        name: str,
        hub: EventBus,
        on_block: Callable[[BlockRef], Awaitable[None]],
        *,
        doing: str,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        expected: tuple[type[Exception], ...] = (),
        on_failure: Callable[[Exception], None] | None = None,
        on_reset: Callable[[BlockRef], None] | None = None,
    ) -> None:
        """`on_reset`: called before `on_block` with a block the head was reset to (the
        node's chain no longer held the head), for what the owner kept by block number."""
        self._hub = hub
        self._on_block = on_block
        self._on_reset = on_reset
        self._blocks: Subscription[NewBlock] | None = None
        self.supervisor = Supervisor(
            name,
            self._listen,
            doing=doing,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            expected=expected,
            on_failure=on_failure,
        )

    @property
    def running(self) -> bool:
        return self.supervisor.running

    def start(self) -> None:
        if self.running:
            return
        # Subscribed before the task runs, so no block announced from now on is missed.
        self._blocks = self._hub.subscribe(NewBlock)
        self.supervisor.start()

    async def stop(self) -> None:
        await self.supervisor.stop()
        if self._blocks is not None:
            self._blocks.close()
            self._blocks = None

    async def _listen(self) -> None:
        blocks, self._blocks = self._blocks or self._hub.subscribe(NewBlock), None
        async with blocks:
            async for event in blocks:
                if event.reset and self._on_reset is not None:
                    self._on_reset(event.ref)
                await self._on_block(event.ref)
                self.supervisor.recovered()
