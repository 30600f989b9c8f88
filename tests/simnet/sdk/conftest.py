"""The bittensor SDK (the `bittensor` package, 11.x) against the simnet, unmodified.

The SDK is installed beside the server (turbobt depends on it), so it runs in the same process
and event loop as the simnet: no separate environment. One simnet per module, moved past the
snapshot so that //Bob holds a uid on subnet 1 and subnet 1's epoch has run once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import bittensor
import pytest

from pylon_gql.simnet import Simnet, SimnetConfig

from ..conftest import SNAPSHOT, START_MS

# subnet 1 (tempo 99) runs its epoch at 6852697: produce past it
BLOCKS = 6852700 - SNAPSHOT


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        await sim.produce_blocks(BLOCKS)
        yield sim


@pytest.fixture(scope="module")
async def sdk(simnet: Simnet) -> AsyncIterator[bittensor.Client]:
    """The SDK's async client (what `async with bt.Subtensor(url)` gives)."""
    async with bittensor.Subtensor(simnet.url) as client:
        yield client
