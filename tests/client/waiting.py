"""Waiting for something a test cannot be told about directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PATIENCE = 60.0


async def eventually(condition: Callable[[], bool], patience: float = PATIENCE) -> None:
    """Return once `condition()` holds; fail with TimeoutError after `patience` seconds."""
    async with asyncio.timeout(patience):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)
