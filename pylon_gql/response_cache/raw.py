"""Requests by their raw bytes: the key their answer is kept under, found without reading JSON
or GraphQL.

Keying a request the first time means parsing its JSON, planning its document and encoding its
variables (`cache.py`); that costs more than serving the answer it finds. The raw form of the
request (its body, or a GET's query string) together with the caller's roles fixes all of it
except the head, so it is remembered here with the key it gave, and the same bytes asked again
find their key with one dict lookup. Exact bytes, not a digest of them: no two requests can
share an entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import metrics
from ..logs import loggable_name
from ..models import BlockRef
from .lru import LRU
from .plan import CacheKey
from .prerender import HotQuery

#: Requests larger than this are not remembered (they are keyed again each time): a few large
#: documents must not push out the many small ones a dashboard repeats.
MAX_RAW_BYTES = 16 * 2**10
#: Bytes of raw requests remembered, at most.
RAW_INDEX_BYTES = 8 * 2**20
#: Bytes counted per entry on top of the raw request and its key.
ENTRY_OVERHEAD = 384

#: (method, body or query string, the caller's roles)
RawKey = tuple[str, bytes, str]


@dataclass(frozen=True, slots=True)
class KeyTemplate:
    """The key a request's answers are kept under, with the head left blank."""

    #: The key, its head hash empty.
    key: CacheKey
    #: Whether the answer is at the head (the head's hash goes in the key) or pinned.
    at_head: bool
    #: The operation's label in the request metrics.
    operation: str
    #: An anonymous head query, counted for pre-rendering each time it is asked.
    hot: HotQuery | None
    #: The operation's own name, for the request's log lines.
    name: str | None = None
    #: The request metrics' series of this operation (its latency, and with it the count of
    #: its requests), in plain numbers: a hit is a few microseconds, and prometheus-client's
    #: locks and lookups were a large part of it.
    hits: metrics.PendingHistogram = field(init=False, compare=False)
    #: `name` when it may go in a log line (a GraphQL name), else None: checked once.
    log_name: str | None = field(init=False, compare=False)
    #: The last head a key was made for, and that key (made once per head, not per request).
    _at: tuple[BlockRef, CacheKey] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        requests = metrics.GRAPHQL_REQUESTS.labels(self.operation, "ok", "hit")
        latency = metrics.GRAPHQL_LATENCY.labels(self.operation, "hit")
        object.__setattr__(self, "hits", metrics.pending_histogram(latency, requests))
        object.__setattr__(self, "log_name", loggable_name(self.name))

    def key_at(self, head: BlockRef | None) -> CacheKey | None:
        """The key at `head`; None for a head query while there is no head yet."""
        if not self.at_head:
            return self.key
        if head is None:
            return None
        at = self._at
        if at is not None and at[0] is head:
            return at[1]
        document, operation, variables, _, roles = self.key
        key = (document, operation, variables, head.hash, roles)
        object.__setattr__(self, "_at", (head, key))
        return key


class RawIndex(LRU[RawKey, KeyTemplate]):
    """Key templates by raw request, least recently used out, bounded by bytes."""

    def __init__(self, max_bytes: int = RAW_INDEX_BYTES) -> None:
        super().__init__(max_bytes)

    def remember(self, raw: RawKey, template: KeyTemplate) -> None:
        if len(raw[1]) > MAX_RAW_BYTES:
            return
        key = template.key
        cost = len(raw[1]) + len(raw[2]) + len(key[0]) + len(key[2]) + ENTRY_OVERHEAD
        self.put(raw, template, cost)
