"""Every query answers within `PYLON_CHAIN_TIMEOUT`, however many chain calls it makes.

The chain calls a query makes (and their retries) share one deadline (`chain.deadline`), so a
node that does not answer costs a client `chain_timeout` seconds, not that per call. Mutations
wait for blocks (their writes have their own, longer timeout) and subscriptions live on: only
queries run within the deadline.

A field that is allowed longer (`history`) says so with `allow_longer`: its chain calls get a
deadline of their own, and the HTTP view's PYLON_REQUEST_TIMEOUT for the request moves out to
the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from ..chain.deadline import until, within

#: The HTTP view's timeout of the request being executed (None over a websocket).
REQUEST_TIMEOUT: ContextVar[asyncio.Timeout | None] = ContextVar(
    "pylon_request_timeout", default=None
)


#: Seconds chain calls of a longer field may outlive the request's moved timeout: the request
#: then ends as TIMEOUT naming the setting, not as a node that seemed not to answer.
GRACE = 1.0


def longer_deadline(seconds: float) -> float:
    """Move the request's own timeout out to `seconds` from now (never nearer), and return the
    event loop time until which chain calls made `within_longer` it may run."""
    when = asyncio.get_running_loop().time() + seconds
    timeout = REQUEST_TIMEOUT.get()
    if timeout is None:  # over a websocket: the chain calls' deadline is the only limit
        return when
    current = timeout.when()
    if current is not None and current < when:
        timeout.reschedule(when)
    return when + GRACE


@contextlib.contextmanager
def within_longer(when: float) -> Iterator[None]:
    """Chain calls made inside may run until `when` (from `longer_deadline`)."""
    with until(when):
        yield


class ChainDeadline(SchemaExtension):
    def __init__(self, *, seconds: float) -> None:
        self.seconds = seconds

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not OperationType.QUERY:
            yield
            return
        with within(self.seconds):
            yield
