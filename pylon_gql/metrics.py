"""Prometheus metrics, defined once here and updated by the parts that do the work."""

from __future__ import annotations

import bisect
import functools
import platform
import re
import threading
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.metrics_core import InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from . import __version__

#: The server's own registry, so tests that start several apps in one process do not collide
#: in prometheus-client's global one. It carries the default collectors too (process_*,
#: python_gc_*, python_info), which prometheus-client only puts in its global registry.
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
if GC_COLLECTOR is not None:  # None on interpreters without gc.get_stats (not CPython)
    GCCollector(registry=REGISTRY)


class _FlushedCounter(Counter):
    """A counter whose series some hot path counts in plain numbers (`PendingCounter`): they
    are added in whenever it is collected."""

    def collect(self) -> Iterable[Metric]:
        flush_pending()
        return super().collect()


class _FlushedHistogram(Histogram):
    """A histogram whose series some hot path observes in plain numbers (`PendingHistogram`)."""

    def collect(self) -> Iterable[Metric]:
        flush_pending()
        return super().collect()


#: How the response cache answered a request, as the request metrics label it: `hit` (its
#: bytes, nothing executed: x-pylon-cache `hit` or `shared`), `miss` (executed under a cache
#: key: `miss` or `bypass`), `none` (not cacheable: mutations, subscriptions, the weight store's
#: queries, or the cache is off), `prerender` (rendered for a new head before anyone asked).
CacheLabel = Literal["hit", "miss", "none", "prerender"]
#: Where the response cache notes, in the request's state, that the request executes under a
#: cache key (a miss).
CACHE_STATE = "response_cache"

GRAPHQL_REQUESTS = _FlushedCounter(
    "pylon_graphql_requests_total",
    "GraphQL operations answered, by operation name, outcome (ok, error) and what the response "
    "cache did (hit: answered from its bytes, nothing executed; miss; none: not cacheable; "
    "prerender).",
    ["operation", "outcome", "cache"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = _FlushedHistogram(
    "pylon_graphql_request_seconds",
    "Time to answer a GraphQL operation (executed, or from the response cache), by cache "
    "(hit, miss, none, prerender).",
    ["operation", "cache"],
    registry=REGISTRY,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "pylon_websocket_connections",
    "Open websocket connections on /graphql (from the handshake until closed).",
    registry=REGISTRY,
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "pylon_subscriptions_active",
    "Subscriptions running over websockets, by the subscription field they select.",
    ["field"],
    registry=REGISTRY,
)
CHAIN_CALLS = Counter(
    "pylon_chain_calls_total",
    "Calls made to the subtensor node through turbobt, by call and outcome (ok, error).",
    ["call", "outcome"],
    registry=REGISTRY,
)
CHAIN_LATENCY = Histogram(
    "pylon_chain_call_seconds",
    "Latency of calls to the subtensor node.",
    ["call"],
    registry=REGISTRY,
)
CACHE_HITS = Counter(
    "pylon_cache_hits_total",
    "Chain reads served from the block cache.",
    ["kind"],
    registry=REGISTRY,
)
CACHE_MISSES = Counter(
    "pylon_cache_misses_total", "Chain reads that went to the node.", ["kind"], registry=REGISTRY
)
HEAD_BLOCK = Gauge(
    "pylon_head_block", "Number of the latest finalized head seen.", registry=REGISTRY
)
HEAD_AGE = Gauge(
    "pylon_head_age_seconds",
    "Seconds since the follower last received a new head.",
    registry=REGISTRY,
)
RESPONSE_CACHE_REQUESTS = _FlushedCounter(
    "pylon_response_cache_requests_total",
    "GraphQL requests by what the response cache did: hit (its bytes, no execution), shared "
    "(the bytes of a concurrent identical execution), miss (executed), bypass (not cacheable).",
    ["outcome"],
    registry=REGISTRY,
)
RESPONSE_CACHE_PRERENDERED = Counter(
    "pylon_response_cache_prerendered_total",
    "Answers rendered for a new head before it was announced (its most asked head queries).",
    registry=REGISTRY,
)
RESPONSE_CACHE_EVICTIONS = Counter(
    "pylon_response_cache_evictions_total",
    "Answers dropped from the response cache to stay within its bytes.",
    registry=REGISTRY,
)
RESPONSE_CACHE_BYTES = Gauge(
    "pylon_response_cache_bytes", "Bytes of answers in the response cache.", registry=REGISTRY
)
RESPONSE_CACHE_ENTRIES = Gauge(
    "pylon_response_cache_entries", "Answers in the response cache.", registry=REGISTRY
)
WEIGHT_COMMITS = Counter(
    "pylon_weight_commits_total",
    "Outcomes of attempts to put the weights on chain, by mode (commit_reveal, set), trigger "
    "(auto, manual) and status (finalized, failed).",
    ["mode", "trigger", "status"],
    registry=REGISTRY,
)
COMMITTER_LEADER = Gauge(
    "pylon_committer_leader",
    "1 while this replica holds the committer's lease (it alone commits the weights of its "
    "subnet and hotkey), 0 while another replica leads or none is configured.",
    registry=REGISTRY,
)


def cache_label(request: object) -> CacheLabel:
    """The `cache` label of an executed operation, from its context's request (None: there is
    none, the response cache's pre-rendering; a request the response cache keyed: `miss`)."""
    if request is None:
        return "prerender"
    return getattr(getattr(request, "state", None), CACHE_STATE, "none")


def _distribution_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class BuildInfo(Collector):
    """`pylon_gql_build_info{version, python, turbobt, strawberry} 1`: what this server runs,
    read from the installed distributions at the first scrape (not at import: the CLI imports
    this module, and reading package metadata takes milliseconds)."""

    @functools.cached_property
    def _labels(self) -> dict[str, str]:
        return {
            "version": __version__,
            "python": platform.python_version(),
            "turbobt": _distribution_version("turbobt"),
            "strawberry": _distribution_version("strawberry-graphql"),
        }

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily(
            "pylon_gql_build", "The versions of pylon-gql, Python, turbobt and strawberry."
        )
        info.add_metric([], self._labels)
        yield info

    def describe(self) -> Iterator[Metric]:
        # Named without reading the distributions (the registry describes at registration).
        yield InfoMetricFamily("pylon_gql_build", "")


REGISTRY.register(BuildInfo())


class OperationLabels:
    """Which operation names label `GRAPHQL_REQUESTS` and `GRAPHQL_LATENCY`: a bounded set
    that callers without a token cannot fill.

    Clients choose operation names, and each label is a series Prometheus keeps for good. A
    name is its own label when it is configured (`PYLON_METRIC_OPERATIONS`: always, outside any
    bound), or once a caller with a token has used it (the first `MAX_LEARNED` such names), or,
    while reads are open, once an anonymous caller has (the first `MAX_ANONYMOUS`, a bound of
    their own). An admitted name is labelled for every caller. Anything else counts as
    `other` (so does a name past 64 characters); an operation without a name as `anonymous`.
    Two hundred junk names from strangers therefore fill the strangers' own slots at most: the
    configured operations and those of the server's token holders keep their labels.
    """

    #: Names learned from callers with a token; from callers without one (reads open).
    MAX_LEARNED = 200
    MAX_ANONYMOUS = 50
    UNNAMED = "anonymous"
    OTHER = "other"
    PATTERN = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")

    def __init__(self, configured: Iterable[str] = ()) -> None:
        self.configured = frozenset(name for name in configured if self.PATTERN.match(name))
        self._learned: set[str] = set()
        self._anonymous: set[str] = set()

    def label(self, name: object, *, authenticated: bool, anonymous_may_add: bool) -> str:
        """The label of an operation called `name`: `authenticated` when its caller has a
        role; `anonymous_may_add` when a caller without one may add names (reads are open)."""
        if name is None or name == "":
            return self.UNNAMED
        if not isinstance(name, str) or not self.PATTERN.match(name):
            return self.OTHER
        if name in self.configured or name in self._learned or name in self._anonymous:
            return name
        if authenticated:
            if len(self._learned) < self.MAX_LEARNED:
                self._learned.add(name)
                return name
        elif anonymous_may_add and len(self._anonymous) < self.MAX_ANONYMOUS:
            self._anonymous.add(name)
            return name
        return self.OTHER


# --- counted on the hot path, in plain numbers


class PendingCounter:
    """One series of a counter, counted in a plain int and added to the series when its
    metric is collected.

    A kept answer is served in a few microseconds, and prometheus-client's `inc()` (a lock, a
    call or two) was a tenth of that; an int goes up for nothing. Only the event loop counts
    (one writer), and only the collection adds (under a lock): each reads what the other
    writes and neither loses a count.
    """

    __slots__ = ("_added", "_series", "count")

    def __init__(self, series: Counter) -> None:
        self._series = series
        self.count = 0
        self._added = 0

    def inc(self) -> None:
        self.count += 1

    def _flush(self) -> None:
        count = self.count
        if count != self._added:
            self._series.inc(count - self._added)
            self._added = count


class PendingHistogram:
    """One series of a histogram, observed in plain numbers and added to the series when its
    metric is collected (as `PendingCounter`); with `counted`, a counter's series that goes up
    by one with each observation (a request and its latency: one call for both)."""

    __slots__ = (
        "_added_counts",
        "_added_total",
        "_bounds",
        "_counted",
        "_series",
        "counts",
        "total",
    )

    def __init__(self, series: Histogram, counted: Counter | None = None) -> None:
        self._series = series
        self._counted = counted
        # prometheus-client's own: the upper bounds (the last +Inf) and a value per bucket.
        self._bounds: list[float] = list(series._upper_bounds)  # type: ignore[attr-defined]
        self.counts = [0] * len(self._bounds)
        self.total = 0.0
        self._added_counts = [0] * len(self._bounds)
        self._added_total = 0.0

    def observe(self, amount: float) -> None:
        # The first bucket whose bound is at least `amount`, as prometheus-client's observe.
        self.counts[bisect.bisect_left(self._bounds, amount)] += 1
        self.total += amount

    def _flush(self) -> None:
        buckets = self._series._buckets  # type: ignore[attr-defined]
        added = self._added_counts
        observed = 0
        for index, count in enumerate(self.counts):
            if count != added[index]:
                buckets[index].inc(count - added[index])
                observed += count - added[index]
                added[index] = count
        if observed and self._counted is not None:
            self._counted.inc(observed)
        total = self.total
        if total != self._added_total:
            self._series._sum.inc(total - self._added_total)  # type: ignore[attr-defined]
            self._added_total = total


_pending: dict[object, PendingCounter | PendingHistogram] = {}
_flushing = threading.Lock()


def pending_counter(series: Counter) -> PendingCounter:
    """The plain-int counter of `series` (a labelled child), one per series."""
    found = _pending.get(series)
    if found is None:
        found = _pending[series] = PendingCounter(series)
    assert isinstance(found, PendingCounter)
    return found


def pending_histogram(series: Histogram, counted: Counter | None = None) -> PendingHistogram:
    """The plain-number observations of `series` (a labelled child), one per series; each also
    counts one on `counted` (always the same counter's series for a given `series`)."""
    found = _pending.get(series)
    if found is None:
        found = _pending[series] = PendingHistogram(series, counted)
    assert isinstance(found, PendingHistogram) and found._counted is counted
    return found


def flush_pending() -> None:
    """Add what the hot path counted to the metrics (done whenever they are collected)."""
    with _flushing:
        for pending in list(_pending.values()):
            pending._flush()
