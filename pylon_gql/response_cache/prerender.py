"""Pre-rendering: the head queries asked most at one head, rendered at the next before it is
served, so that their first askers at the new head find the answer kept.

`HotQueries` counts the anonymous head-defaulting queries asked at the head being served.
`Prerenderer` listens for `NewBlock` on the event bus; at each new head it renders the hottest
(asked more than once at the last head, at most `PRERENDER_QUERIES`, for at most
`PRERENDER_SECONDS`), keeps their answers, and only then moves the head the response cache keys
head queries by. Until then
requests are answered at the previous head, whose answers are kept: no asker waits on the
rendering.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .. import metrics
from ..events import EventBus, HeadServed
from ..models import BlockRef
from ..supervise import BlockListener
from .answer import encode
from .plan import CacheKey, QueryPlan, cache_key
from .store import AnswerStore

logger = logging.getLogger(__name__)

#: Head queries rendered for a new head before it is served: the most asked at the last one.
PRERENDER_QUERIES = 8
#: Seconds of rendering per new head, at most: the head is served when they are spent.
PRERENDER_SECONDS = 1.0
#: Distinct head queries counted per head (more are not counted).
HOT_QUERIES_TRACKED = 1024
#: Bytes of documents and variables kept for them per head: a stranger's megabyte of unused
#: variables is not worth keeping to render again.
HOT_QUERIES_BYTES = 4 * 2**20
#: A query larger than this (document and variables) is not counted at all.
HOT_QUERY_MAX_BYTES = 64 * 2**10


@dataclass
class HotQuery:
    """An anonymous head-defaulting query, and how often it was asked at the current head."""

    query: str
    operation_name: str | None
    variables: Mapping[str, Any] | None
    plan: QueryPlan
    count: int = 0


#: Renders a query at a block; its encoded answer, or None when it had errors.
Render = Callable[[HotQuery, BlockRef], Awaitable[bytes | None]]


class HotQueries:
    """The anonymous head queries asked since the last new head, by key without the head."""

    def __init__(self) -> None:
        self._asked: dict[tuple[str, str, bytes], HotQuery] = {}
        self._bytes = 0

    def count(self, key: CacheKey, query: HotQuery) -> None:
        """Counts one asking of `query` (kept as a copy: callers may hand the same one at every
        head)."""
        asked_key = key[:3]
        hot = self._asked.get(asked_key)
        if hot is None:
            size = len(query.query) + len(key[2])
            if size > HOT_QUERY_MAX_BYTES or len(self._asked) >= HOT_QUERIES_TRACKED:
                return
            if self._bytes + size > HOT_QUERIES_BYTES:
                return
            self._bytes += size
            hot = self._asked[asked_key] = replace(query, count=0)
        hot.count += 1

    def choose(self) -> list[HotQuery]:
        """The queries to render at a new head: those asked more than once at the head just
        served, most asked first; counting starts afresh. Nothing asked, nothing rendered:
        rendering what was asked once, long ago, at every block is load nobody asked for."""
        asked = sorted(self._asked.values(), key=lambda h: h.count, reverse=True)
        self._asked, self._bytes = {}, 0
        return [h for h in asked if h.count > 1][:PRERENDER_QUERIES]


class Prerenderer:
    """Moves the response cache's head along the follower's `NewBlock` events, rendering the
    hot queries at each new head first."""

    def __init__(
        self,
        hub: EventBus,
        answers: AnswerStore,
        render: Render,
        *,
        chain_head: Callable[[], BlockRef | None],
        enabled: bool,
    ) -> None:
        """`chain_head`: the reader's head (served until the first event arrives, and to skip
        rendering at heads the chain has already left); `enabled`: render at all (not when
        reads are closed: an anonymous answer is then an error, never kept)."""
        self.answers = answers
        self.hot = HotQueries()
        self._render = render
        self._chain_head = chain_head
        self._enabled = enabled
        self._served: BlockRef | None = None
        #: When the served head last moved (monotonic seconds): how fresh a head answer is.
        self.head_since = time.monotonic()
        self._hub = hub
        self._listener = BlockListener(
            "prerenderer", hub, self.advance, doing="pre-rendering", on_reset=self._chain_reset
        )

    @property
    def head(self) -> BlockRef | None:
        """The head that head-defaulting queries are answered and kept at."""
        return self._served or self._chain_head()

    def start(self) -> None:
        """Follow new blocks; started before the follower, so that none is missed."""
        self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    async def advance(self, ref: BlockRef) -> None:
        """Render the hot queries at `ref`, then serve head queries at it."""
        chosen = self.hot.choose()
        # Behind the chain (events queued while rendering): render only at its head.
        if self._enabled and ref == self._chain_head():
            deadline = time.monotonic() + PRERENDER_SECONDS
            for hot in chosen:
                if time.monotonic() > deadline:
                    break  # the rest are rendered by their first askers
                await self._prerender(hot, ref)
        self._served = ref
        self.head_since = time.monotonic()
        self._hub.publish(HeadServed(ref))  # a write waiting for its block to be served

    def _chain_reset(self, ref: BlockRef) -> None:
        """The head was reset to another chain's block: answers kept by block number (and
        at heads of the old chain) are not this chain's."""
        logger.warning(
            "the head was reset to block %d: the response cache starts empty", ref.number
        )
        self.answers.clear()

    async def _prerender(self, hot: HotQuery, ref: BlockRef) -> None:
        # `chain` reads the node's runtime at the reader's head, not at a pinned one.
        if "chain" in hot.plan.root_fields:
            return
        key = cache_key(hot.plan, hot.variables, ref, "")
        if key is None or self.answers.get(key) is not None:
            return
        try:
            body = await self._render(hot, ref)
        except Exception:  # one query that fails must not stop the others or the head
            logger.exception("pre-rendering a head query at block %d failed", ref.number)
            return
        if body is not None:
            self.answers.put(key, await encode(body))
            metrics.RESPONSE_CACHE_PRERENDERED.inc()
