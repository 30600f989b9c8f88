"""The head-age rule /health and `chain { stale }` share."""

from __future__ import annotations

from pylon_gql.freshness import head_is_stale


def test_a_head_older_than_the_limit_is_stale_and_none_has_no_answer() -> None:
    assert head_is_stale(None, 120.0) is None  # before the first head
    assert head_is_stale(0.5, 120.0) is False
    assert head_is_stale(120.0, 120.0) is False  # /health: 503 only past the limit
    assert head_is_stale(120.5, 120.0) is True
