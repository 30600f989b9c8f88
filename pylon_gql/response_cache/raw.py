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

from cachetools import LRUCache
from prometheus_client import Counter, Histogram

from .. import metrics
from ..models import BlockRef
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
    #: The request metrics' series of this operation, looked up once (a hit is a few
    #: microseconds; finding a labelled series is one of the larger parts of it).
    requests: Counter = field(init=False, compare=False)
    latency: Histogram = field(init=False, compare=False)

    def __post_init__(self) -> None:
        requests = metrics.GRAPHQL_REQUESTS.labels(self.operation, "ok", "hit")
        object.__setattr__(self, "requests", requests)
        object.__setattr__(self, "latency", metrics.GRAPHQL_LATENCY.labels(self.operation, "hit"))

    def key_at(self, head: BlockRef | None) -> CacheKey | None:
        """The key at `head`; None for a head query while there is no head yet."""
        if not self.at_head:
            return self.key
        if head is None:
            return None
        document, operation, variables, _, roles = self.key
        return (document, operation, variables, head.hash, roles)


class RawIndex:
    """Key templates by raw request, least recently used out, bounded by bytes."""

    def __init__(self, max_bytes: int = RAW_INDEX_BYTES) -> None:
        self._templates: LRUCache[RawKey, tuple[KeyTemplate, int]] = LRUCache(
            max_bytes, getsizeof=lambda entry: entry[1]
        )

    def __len__(self) -> int:
        return len(self._templates)

    def get(self, raw: RawKey) -> KeyTemplate | None:
        entry = self._templates.get(raw)
        return None if entry is None else entry[0]

    def remember(self, raw: RawKey, template: KeyTemplate) -> None:
        if len(raw[1]) > MAX_RAW_BYTES:
            return
        key = template.key
        cost = len(raw[1]) + len(raw[2]) + len(key[0]) + len(key[2]) + ENTRY_OVERHEAD
        if cost <= self._templates.maxsize:
            self._templates[raw] = (template, cost)
