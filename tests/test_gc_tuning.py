"""While serving: rarer collections, yet cyclic garbage is freed within a fraction of a second."""

from __future__ import annotations

import asyncio
import gc
import weakref

from pylon_gql.gc_tuning import GC_THRESHOLDS, YOUNG_EVERY, tuned_gc


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


async def test_cyclic_garbage_is_freed_on_the_timer_and_thresholds_come_back() -> None:
    before = gc.get_threshold()
    async with tuned_gc():
        assert gc.get_threshold() == GC_THRESHOLDS
        garbage = Node()
        freed = weakref.ref(garbage)
        del garbage
        # Far fewer allocations than the first threshold: only the timer can free it.
        await asyncio.sleep(YOUNG_EVERY * 3)
        assert freed() is None
    assert gc.get_threshold() == before
