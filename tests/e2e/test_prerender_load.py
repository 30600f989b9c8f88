"""Pre-rendering makes no load nobody asked for: heavy head queries asked twice are rendered at
the next head, then no more once nobody asks, and the server stays at the chain's head.

Before, pre-rendering fell back to the last head's hot queries whenever nothing was asked at a
head: 16 requests made the server re-render 8 heavy queries at every block forever (166 answers
nobody asked for in 120 s), and its head fell 23 blocks behind the node.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from .conftest import PATIENCE
from .hostile.server import serve

#: Eight distinct heavy head queries: the full metagraph, each with another alias.
HEAVY = [
    f"{{ m{i}: metagraph {{ neurons {{ uid hotkey coldkey stake rank trust incentive "
    f"dividends emission lastUpdate axon {{ ip port }} }} }} }}"
    for i in range(8)
]
IDLE_BLOCKS = 16
BLOCK_TIME = 0.5


def prerendered(metrics: str) -> float:
    found = re.search(r"^pylon_response_cache_prerendered_total (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def test_sixteen_requests_cost_one_head_of_prerendering_and_no_lag(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    env = {"PYLON_SIM_BLOCK_TIME": str(BLOCK_TIME), "PYLON_RATE_LIMITS": "false"}
    async with (
        serve(tmp_path_factory.mktemp("prerender"), **env) as server,
        httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as client,
    ):
        before = prerendered((await client.get("/metrics")).text)
        for query in HEAVY:  # each asked twice at one head: hot
            answers = await asyncio.gather(
                *(client.post("/graphql", json={"query": query}) for _ in range(2))
            )
            assert all(a.json().get("errors") is None for a in answers)

        lags = []
        for _ in range(int(IDLE_BLOCKS * BLOCK_TIME / 0.25)):  # idle: nobody asks
            health = (await client.get("/health")).json()
            lags.append(health["lagBlocks"])
            await asyncio.sleep(0.25)
        after = prerendered((await client.get("/metrics")).text)

    # At most the heads the 16 requests spanned rendered them; none since nobody asked.
    assert after - before <= 2 * len(HEAVY), (before, after)
    # The server kept up with the node all along (a block or so while a head is announced).
    assert max(lags) <= 2, lags
