"""Prometheus metrics, defined once here and updated by the parts that do the work."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: The server's own registry, so tests that start several apps in one process do not collide
#: in prometheus-client's global one.
REGISTRY = CollectorRegistry(auto_describe=True)

GRAPHQL_REQUESTS = Counter(
    "pylon_graphql_requests_total",
    "GraphQL operations executed, by operation name and outcome (ok, error).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = Histogram(
    "pylon_graphql_request_seconds",
    "Time to execute a GraphQL operation.",
    ["operation"],
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
RESPONSE_CACHE_REQUESTS = Counter(
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
