"""Fault modes for reliability tests: what a flaky or overloaded node does to its clients."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

# what jsonrpsee answers when a node sheds load; clients see it as an ordinary RPC error
BUSY_ERROR = {"code": -32009, "message": "Server is busy, try again later"}


@dataclasses.dataclass(frozen=True)
class Faults:
    """All off by default.

    latency, jitter: seconds added before each answer (fixed, plus uniform 0..jitter).
    error_rate: the share (0..1) of requests answered with `error` instead of the answer, for
        the methods in `error_methods` (empty: every node method).
    drop_once: close every open connection once, abruptly (as a node restart does).
    drop_every: close the connection carrying every Nth request, before answering it.
    stall: read requests and never answer them (for `stall_methods`; empty: every method).
    Control methods (`simnet_*`) are never affected, so a test can always turn faults off.
    """

    latency: float = 0.0
    jitter: float = 0.0
    error_rate: float = 0.0
    error_methods: tuple[str, ...] = ()
    error: dict[str, Any] = dataclasses.field(default_factory=lambda: dict(BUSY_ERROR))
    drop_once: bool = False
    drop_every: int = 0
    stall: bool = False
    stall_methods: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Faults:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        fields = dict(value)
        for name in ("error_methods", "stall_methods"):
            if name in fields:
                fields[name] = tuple(fields[name])
        faults = cls(**fields)
        faults.validate()
        return faults

    def as_json(self) -> dict[str, Any]:
        value = dataclasses.asdict(self)
        value["error_methods"] = list(self.error_methods)
        value["stall_methods"] = list(self.stall_methods)
        return value

    def validate(self) -> None:
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must not be negative")
        if not 0 <= self.error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        if self.drop_every < 0:
            raise ValueError("drop_every must not be negative")
        if "code" not in self.error or "message" not in self.error:
            raise ValueError("error needs a code and a message")

    @property
    def active(self) -> bool:
        return bool(self.latency or self.jitter or self.error_rate or self.drop_every or self.stall)

    def delay(self, rng: random.Random) -> float:
        if not (self.latency or self.jitter):
            return 0.0
        return self.latency + (rng.uniform(0, self.jitter) if self.jitter else 0.0)

    def fails(self, method: str, rng: random.Random) -> bool:
        if not self.error_rate:
            return False
        if self.error_methods and method not in self.error_methods:
            return False
        return rng.random() < self.error_rate

    def stalls(self, method: str) -> bool:
        return self.stall and (not self.stall_methods or method in self.stall_methods)
