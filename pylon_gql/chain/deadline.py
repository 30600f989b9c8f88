"""One deadline for all the chain calls made on behalf of one request.

A GraphQL query may need several calls to the node (the head's hash, the block, the
metagraph), and each call may be retried. Were each call given `PYLON_CHAIN_TIMEOUT` of its
own, an answer could take a multiple of it; instead the query runs `within(chain_timeout)` and
every call made for it (in any task it spawns: the deadline is a context variable) gets only
what is left. A call made outside any request (the follower's) gets its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("pylon_chain_deadline", default=None)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Chain calls made inside end `seconds` from now at the latest (or at an earlier,
    enclosing deadline)."""
    token = _DEADLINE.set(deadline_in(seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextlib.contextmanager
def until(when: float) -> Iterator[None]:
    """Chain calls made inside end by the event loop time `when`, even past an enclosing
    deadline: for the part of a request that is allowed longer (a `history` series)."""
    token = _DEADLINE.set(when)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def deadline_in(seconds: float) -> float:
    """The event loop time by which a call given `seconds` must end: the sooner of that and
    the deadline of the request it is made for."""
    own = asyncio.get_running_loop().time() + seconds
    enclosing = _DEADLINE.get()
    return own if enclosing is None else min(own, enclosing)
