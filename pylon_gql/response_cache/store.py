"""Encoded answers by key, bounded by bytes, and one execution per missing key.

`AnswerStore.serve(key, execute)` is the whole protocol: a kept answer is returned as it is; a
key that is being executed already waits for that execution's answer (single flight); otherwise
`execute` runs, and its bytes are kept (with their tag and gzip encoding, `answer.py`) when it
says they are worth keeping. The bound counts the answer in every encoding, its key and a fixed
overhead per entry; the least recently used go first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast

from .. import metrics
from ..singleflight import SingleFlight
from .answer import Answer, encode
from .lru import LRU
from .plan import CacheKey

#: Bytes counted per entry on top of its key and answer (the dict slot, the tuple, ...).
ENTRY_OVERHEAD = 256

R = TypeVar("R")
A_co = TypeVar("A_co", covariant=True)

#: How a request was answered: from the store, from a concurrent execution of the same key,
#: by its own execution (whose bytes are then kept), or past the store.
Outcome = Literal["hit", "shared", "miss", "bypass"]


@dataclass(frozen=True, slots=True)
class Executed(Generic[A_co]):
    """One execution: the answer for its own asker, and the bytes to keep and share (None: an
    answer not to keep, such as one with errors, which name the asker's request id)."""

    answer: A_co
    body: bytes | None


def _cost(key: CacheKey, answer: Answer) -> int:
    return answer.size + len(key[0]) + len(key[2]) + ENTRY_OVERHEAD


class AnswerStore:
    """At most `max_bytes` of encoded answers; one execution per missing key."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: Goes up whenever an answer leaves the store: what was found before may be gone.
        self.generation = 0
        self._entries: LRU[CacheKey, Answer] = LRU(max_bytes, on_evict=self._evicted)
        #: The kept answer of a key (refreshed as the most recently used), or None.
        self.get: Callable[[CacheKey], Answer | None] = self._entries.get
        self._flights: SingleFlight[CacheKey, tuple[Executed[object], Answer | None]] = (
            SingleFlight()
        )

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes counted for what is kept."""
        return self._entries.size

    def _evicted(self) -> None:
        self.generation += 1
        metrics.RESPONSE_CACHE_EVICTIONS.inc()

    def put(self, key: CacheKey, answer: Answer) -> None:
        if not self._entries.put(key, answer, _cost(key, answer)):
            return  # larger than the whole store: keeping it would only empty the store
        metrics.RESPONSE_CACHE_BYTES.set(self.size)
        metrics.RESPONSE_CACHE_ENTRIES.set(len(self._entries))

    def clear(self) -> None:
        """Forget every answer (the chain the answers were read from is not the node's); not
        counted as evictions (those are for room)."""
        self._entries = LRU(self.max_bytes, on_evict=self._evicted)
        self.get = self._entries.get
        self.generation += 1
        metrics.RESPONSE_CACHE_BYTES.set(0)
        metrics.RESPONSE_CACHE_ENTRIES.set(0)

    def in_flight(self, key: CacheKey) -> bool:
        return key in self._flights

    async def serve(
        self, key: CacheKey, execute: Callable[[], Awaitable[Executed[R]]]
    ) -> tuple[Answer | R, Outcome]:
        """The answer for `key`, and how it was found: the kept `Answer` whenever there is one
        (its own execution's included), else the execution's own answer."""
        kept = self.get(key)
        if kept is not None:
            return kept, "hit"
        led = False

        async def lead() -> tuple[Executed[object], Answer | None]:
            nonlocal led
            led = True
            executed = await execute()
            if executed.body is None:
                return executed, None
            answer = await encode(executed.body)
            self.put(key, answer)
            return executed, answer

        flown: tuple[Executed[object], Answer | None] | None
        try:
            flown = await self._flights.run(key, lead)
        except Exception:
            if led:
                raise
            flown = None  # the execution waited for failed: this asker runs its own
        if led:
            assert flown is not None
            executed, answer = flown
            return (answer if answer is not None else cast(R, executed.answer)), "miss"
        if flown is not None and flown[1] is not None:
            return flown[1], "shared"
        # The execution waited for had no answer worth sharing (its errors carry its request
        # id, not this asker's): this one executes for itself.
        return (await execute()).answer, "bypass"
