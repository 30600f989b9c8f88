"""The server's write side, as the schema sees it: the weight store, the committer, the keys it
signs with, and the chain client that submits (built and started by `Services`); and the wait
that lets a chain write answer only once its block is served (read-your-writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .committer import Committer
from .events import EventBus, HeadServed, NewBlock, SubscriberOverflow
from .keys import Signers
from .models import BlockRef
from .store import WeightStore

if TYPE_CHECKING:
    from .chain.client import ChainClient
    from .models import AdminCall


@dataclass
class WritePath:
    store: WeightStore
    committer: Committer
    signers: Signers
    chain: ChainClient
    _admin_calls: dict[str, AdminCall] | None = None

    async def admin_calls(self) -> dict[str, AdminCall]:
        if self._admin_calls is None:
            self._admin_calls = await self.chain.admin_calls()
        return self._admin_calls


async def wait_until_served(
    number: int,
    served_head: Callable[[], BlockRef | None],
    events: EventBus | None,
    timeout: float,  # noqa: ASYNC109
) -> bool:
    """Wait until queries that name no block answer at block `number` or later: a write the
    chain finalized at `number` answers once a read right after it sees it (the follower
    announces a block after warming its cache, the response cache serves it after
    pre-rendering). True once served; False when `timeout` seconds passed first."""
    if events is None:
        return _served(served_head, number)
    # Subscribed before looking, so that no event between the look and the wait is missed.
    async with events.subscribe(NewBlock, HeadServed, maxsize=16) as heads:
        try:
            async with asyncio.timeout(timeout):
                while not _served(served_head, number):
                    try:
                        await anext(heads)
                    except SubscriberOverflow:
                        return _served(served_head, number)
        except TimeoutError:
            return False
    return True


def _served(served_head: Callable[[], BlockRef | None], number: int) -> bool:
    head = served_head()
    return head is not None and head.number >= number
