"""Every query answers within `PYLON_CHAIN_TIMEOUT`, however many chain calls it makes.

The chain calls a query makes (and their retries) share one deadline (`chain.deadline`), so a
node that does not answer costs a client `chain_timeout` seconds, not that per call. Mutations
wait for blocks (their writes have their own, longer timeout) and subscriptions live on: only
queries run within the deadline.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from ..chain.deadline import within


class ChainDeadline(SchemaExtension):
    def __init__(self, *, seconds: float) -> None:
        self.seconds = seconds

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not OperationType.QUERY:
            yield
            return
        with within(self.seconds):
            yield
