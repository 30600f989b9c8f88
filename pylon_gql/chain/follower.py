"""Follower: moves the server's head along the chain's finalized heads.

For each new finalized block it warms the chain cache (metagraph, hyperparameters, block) before
it announces the block, so the first queries at a new head do not all wait on the node; then it
moves the reader's head and the head gauge, and publishes `NewBlock` on the event bus: whatever
else follows heads (the response cache's pre-rendering, the watcher, the committer,
subscriptions) listens there. Every block is
announced once and in order, also when the node skips numbers. It subscribes to finalized
heads, polls when the node cannot subscribe, and restarts with backoff after any failure:
it never dies, and shows what it is doing for /health.

It follows the node wherever its finalized chain goes: a node restored from an earlier state,
or another node behind the same URL, resets the head to the node's (logged at WARNING, counted
in /health's `follower.resets` and `follower.lastReset`) instead of waiting for the chain to pass
the old height. A connection that opens again (a query's read may open it first) cuts the
backoff short, so a node that is back is followed within a round trip or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from math import nan
from typing import Literal, Protocol

from .. import metrics
from ..events import EventBus, NewBlock
from ..models import BlockRef
from ..redaction import redact
from ..supervise import Supervisor
from .errors import BlockNotFound, ChainError, ChainUnavailable, SubscriptionUnsupported
from .reader import ChainReader

logger = logging.getLogger(__name__)

FollowerState = Literal["starting", "following", "polling", "reconnecting", "stopped"]


class HeadSource(Protocol):
    """What the follower needs of `ChainClient`."""

    def finalized_heads(self) -> AsyncIterator[int]: ...
    async def finalized_head(self) -> BlockRef: ...
    async def block_hash(self, number: int) -> str | None: ...

    @property
    def unreachable_for(self) -> float | None: ...
    def on_connect(self, callback: Callable[[], None]) -> None: ...


class Follower:
    """Keeps the reader's head on the chain's latest finalized block, in a supervised task."""

    def __init__(
        self,
        client: HeadSource,
        reader: ChainReader,
        hub: EventBus,
        *,
        poll_interval: float = 2.0,
        stall_timeout: float = 120.0,
        min_backoff: float = 0.5,
        max_backoff: float = 5.0,
        max_catch_up: int | None = None,
    ) -> None:
        """`stall_timeout`: seconds without a head before the subscription counts as dead;
        backoff doubles from `min_backoff` to `max_backoff` between restarts (a node that is
        down is tried again at least every `max_backoff` seconds, so it is followed that soon
        after it is back); `max_catch_up`: most skipped blocks announced after a gap (default:
        cache_blocks)."""
        self.client = client
        self.reader = reader
        self.hub = hub
        self.poll_interval = poll_interval
        self.stall_timeout = stall_timeout
        self.max_catch_up = max_catch_up or reader.settings.cache_blocks
        self.state: FollowerState = "stopped"
        self.head: BlockRef | None = None
        #: The number of the node's latest finalized head the follower has heard of (it may be
        #: ahead of `head` while the follower catches up, or cannot), for /health's lag.
        self.node_finalized: int | None = None
        self.head_received_at: float | None = None
        #: Since when the follower has failed to reach the node without a head since (None
        #: while heads arrive), for /health.
        self.unreachable_since: float | None = None
        #: The node stopped answering (the last failure was `ChainUnavailable`): the next head
        #: shows it answers again, and the backoff starts over.
        self._lost_node = False
        #: How long the follower may fail to reach a node that accepts connections (a node
        #: that hangs) before /health calls it unreachable: as long as a read may wait.
        self.unreachable_after = reader.settings.chain_timeout
        #: Times the node's finalized chain left the head behind, and the last time, for /health.
        self.resets = 0
        self.last_reset: dict[str, object] | None = None
        #: The first head after a (re)start may come from a node restored from an earlier
        #: state, or another node: it is checked against the head before it is followed.
        self._check_chain = True
        self._first_head = asyncio.Event()
        self._supervisor = Supervisor(
            "chain-follower",
            self._run,
            doing="following heads",
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            expected=(ChainError,),
            on_failure=self._reconnecting,
        )
        # A connection that opens (a query's read reconnected first) or a read that finds the
        # node without the head's chain: look at the node now, not at the end of the backoff.
        client.on_connect(self._supervisor.wake)
        reader.on_chain_left(self._supervisor.wake)

    @property
    def restarts(self) -> int:
        return self._supervisor.restarts

    @property
    def last_error(self) -> str | None:
        return self._supervisor.last_error

    @property
    def lag_blocks(self) -> int | None:
        """Blocks from the server's head to the node's finalized head (None before both)."""
        if self.head is None or self.node_finalized is None:
            return None
        return max(0, self.node_finalized - self.head.number)

    def status(self) -> dict[str, object]:
        """The follower's part of /health."""
        unreachable = self.unreachable_for
        status = self._supervisor.status(self.state)
        if self.last_error is not None:
            # The chain's errors show the node's URL redacted already; anything else, too.
            status["lastError"] = redact(self.last_error)
        return {
            **status,
            "nodeFinalized": self.node_finalized,
            "lagBlocks": self.lag_blocks,
            "nodeReachable": self.node_reachable,
            "unreachableSeconds": None if unreachable is None else round(unreachable, 3),
            "resets": self.resets,
            "lastReset": self.last_reset,
        }

    @property
    def unreachable_for(self) -> float | None:
        """Seconds since the node stopped answering, None while it answers: since every
        attempt to connect to it began to fail, or since the follower last failed to reach it
        and has had no head since, whichever is longer."""
        spans = [self.client.unreachable_for]
        if self.unreachable_since is not None:
            spans.append(time.monotonic() - self.unreachable_since)
        return max((s for s in spans if s is not None), default=None)

    @property
    def node_reachable(self) -> bool:
        """False while no connection to the node opens (at once: a node that is down), or
        while the follower has reached no node for longer than `unreachable_after` (a node that
        accepts connections and answers nothing). A connection the node dropped and that opens
        again is reachable: the reads on it are retried."""
        if self.client.unreachable_for is not None:
            return False
        if self.unreachable_since is None:
            return True
        return time.monotonic() - self.unreachable_since <= self.unreachable_after

    @property
    def head_age(self) -> float | None:
        """Seconds since the last new head, None before the first one."""
        if self.head_received_at is None:
            return None
        return time.monotonic() - self.head_received_at

    async def start(self) -> None:
        if self._supervisor.running:
            return
        self.state = "starting"
        # NaN until the first head: no age is not the same as a fresh head.
        metrics.HEAD_AGE.set_function(lambda: nan if self.head_age is None else self.head_age)
        self._supervisor.start()

    async def stop(self) -> None:
        await self._supervisor.stop()
        self.state = "stopped"

    async def wait_for_head(self, timeout: float | None = None) -> BlockRef:  # noqa: ASYNC109
        """The first head, once it has been announced (raises TimeoutError after `timeout`)."""
        async with asyncio.timeout(timeout):
            await self._first_head.wait()
        assert self.head is not None
        return self.head

    # --- the loops

    async def _run(self) -> None:
        self._check_chain = True
        try:
            await self._follow()
        except SubscriptionUnsupported as exc:
            logger.warning("node cannot subscribe to finalized heads (%s); polling", exc)
            await self._poll()

    def _reconnecting(self, exc: Exception) -> None:
        self.state = "reconnecting"
        self._lost_node = isinstance(exc, ChainUnavailable)
        if self._lost_node and self.unreachable_since is None:
            self.unreachable_since = time.monotonic()

    def _heard_from_node(self, number: int) -> None:
        """The node sent its finalized head: it answers."""
        self.unreachable_since = None
        self.node_finalized = number
        if self._lost_node:
            # A dropped connection and a new subscription that works: the next drop backs
            # off from the minimum again (else drops between two blocks would add up to a
            # long backoff, and a follower that looks unreachable).
            self._lost_node = False
            self._supervisor.recovered()

    async def _follow(self) -> None:
        """Follow the subscription until it fails (raises) or stalls (raises)."""
        heads = self.client.finalized_heads()
        async with contextlib.aclosing(heads):  # type: ignore[type-var]
            while True:
                try:
                    async with asyncio.timeout(self.stall_timeout):
                        number = await anext(heads)
                except TimeoutError as exc:
                    raise ChainUnavailable(
                        f"no finalized head for {self.stall_timeout:g} s: resubscribing"
                    ) from exc
                except StopAsyncIteration:
                    raise ChainUnavailable("finalized head subscription ended") from None
                self.state = "following"
                self._heard_from_node(number)
                await self._advance(number)

    async def _poll(self) -> None:
        self.state = "polling"
        while True:
            head = await self.client.finalized_head()
            self._heard_from_node(head.number)
            await self._advance(head.number, head)
            await asyncio.sleep(self.poll_interval)

    async def _advance(self, number: int, ref: BlockRef | None = None) -> None:
        """Announce every block after the current head up to `number`, in order."""
        if self.head is not None and await self._chain_left_head(number):
            await self._reset(number, ref)
            return
        first = number if self.head is None else self.head.number + 1
        if number < first:
            return  # seen already (a resubscription repeats the current head)
        if number - first >= self.max_catch_up:
            logger.warning(
                "head jumped to %d; announcing only its last %d blocks", number, self.max_catch_up
            )
            first = number - self.max_catch_up + 1
        for n in range(first, number + 1):
            if ref is not None and n == ref.number:
                block = ref
            else:
                block_hash = await self.client.block_hash(n)
                if block_hash is None:
                    raise BlockNotFound(f"the node announced block {n} but has no hash for it")
                block = BlockRef(n, block_hash)
            await self._announce(block)

    async def _chain_left_head(self, number: int) -> bool:
        """Whether the node's finalized chain no longer holds the head: a finalized head
        never goes back on one chain, so a lower one is another chain (a node restored from
        an earlier state, or another node); after a restart the head's hash is checked too."""
        assert self.head is not None
        if number < self.head.number:
            return True
        if not self._check_chain:
            return False
        self._check_chain = False
        return await self.client.block_hash(self.head.number) != self.head.hash

    async def _reset(self, number: int, ref: BlockRef | None) -> None:
        """Follow the node's chain from its head, instead of waiting for the old height."""
        old = self.head
        assert old is not None
        if ref is None or ref.number != number:
            block_hash = await self.client.block_hash(number)
            if block_hash is None:
                raise BlockNotFound(f"the node announced block {number} but has no hash for it")
            ref = BlockRef(number, block_hash)
        logger.warning(
            "the node's finalized chain no longer holds the head #%d %s (a node restored from "
            "an earlier state, or another node): following its head #%d %s from here",
            old.number,
            old.hash,
            ref.number,
            ref.hash,
        )
        self.resets += 1
        self.last_reset = {
            "from": {"number": old.number, "hash": old.hash},
            "to": {"number": ref.number, "hash": ref.hash},
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        await self._announce(ref, reset=True)

    async def _announce(self, ref: BlockRef, *, reset: bool = False) -> None:
        await self._warm(ref)
        if reset:
            self.reader.reset_head(ref)
        else:
            self.reader.set_head(ref)
        self.head = ref
        self.head_received_at = time.monotonic()
        self._supervisor.recovered()
        metrics.HEAD_BLOCK.set(ref.number)
        self._first_head.set()
        self.hub.publish(NewBlock(ref, reset=reset))

    async def _warm(self, ref: BlockRef) -> None:
        # Every subnet of PYLON_NETUIDS: a dashboard's reads of them find the block decoded.
        reads: list[Awaitable[object]] = [self.reader.block(ref)]
        for netuid in self.reader.settings.warmed_netuids:
            reads += [self.reader.metagraph(ref, netuid), self.reader.hyperparameters(ref, netuid)]
        outcomes = await asyncio.gather(*reads, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, ChainError) and not isinstance(outcome, ChainUnavailable):
                # The served subnet may not exist (yet): the block is still the chain's head.
                logger.warning("could not warm the cache at block %d: %s", ref.number, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
