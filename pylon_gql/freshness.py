"""When a head is too old to call fresh: the one rule /health and `chain { stale }` share."""

from __future__ import annotations


def head_is_stale(age: float | None, max_age: float) -> bool | None:
    """Whether a head seen `age` seconds ago is older than `max_age`
    (PYLON_HEALTH_MAX_HEAD_AGE), which makes /health answer `stale`; None before the first
    head (no age)."""
    return None if age is None else age > max_age
