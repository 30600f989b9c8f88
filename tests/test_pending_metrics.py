"""Series counted in plain numbers on the fast lane: collected, they read as if
prometheus-client had counted each one itself."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from pylon_gql import metrics

SECONDS = [0.000_004, 0.003, 0.005, 0.007, 0.2, 3.0, 12.0, 0.000_01]


def test_a_pending_histogram_reads_as_the_same_observations_made_directly() -> None:
    registry = CollectorRegistry()
    direct = Histogram("direct_seconds", "d", ["op"], registry=registry).labels("q")
    pending = metrics.pending_histogram(
        metrics._FlushedHistogram("pending_seconds", "p", ["op"], registry=registry).labels("q")
    )
    for seconds in SECONDS:
        direct.observe(seconds)
        pending.observe(seconds)
    first = generate_latest(registry).decode()
    # Counted again after a collection: only the new ones are added.
    direct.observe(0.5)
    pending.observe(0.5)
    second = generate_latest(registry).decode()
    for text in (first, second):
        # All but when each series was made (`_created`).
        lines = [line for line in text.splitlines() if "_created" not in line]
        direct_lines = [line for line in lines if line.startswith("direct_seconds_")]
        pending_lines = [
            line.replace("pending_", "direct_", 1)
            for line in lines
            if line.startswith("pending_seconds_")
        ]
        assert direct_lines and pending_lines == direct_lines


def test_hits_on_the_fast_lanes_counters_are_in_the_exposition() -> None:
    series = metrics.GRAPHQL_REQUESTS.labels("PendingProbe", "ok", "hit")
    counter = metrics.pending_counter(series)
    assert metrics.pending_counter(series) is counter  # one per series
    labels = {"operation": "PendingProbe", "outcome": "ok", "cache": "hit"}
    before = metrics.REGISTRY.get_sample_value("pylon_graphql_requests_total", labels) or 0.0
    for _ in range(7):
        counter.inc()
    series.inc()  # counted the usual way too, beside it
    after = metrics.REGISTRY.get_sample_value("pylon_graphql_requests_total", labels)
    assert after == before + 8
    assert metrics.REGISTRY.get_sample_value("pylon_graphql_requests_total", labels) == after
