"""/health against the node's finalized head: a server whose follower cannot keep up (its reads
of block hashes fail at the node) shows how far behind it is, and is `stale` (503) past
PYLON_HEALTH_MAX_LAG_BLOCKS, while its last head is still young; caught up, 200 again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, running, settings_for, wait_for_health

#: An error the node answers `chain_getBlockHash` with: not "busy" (no retries) and not a lost
#: connection (not `unreachable`), so the follower fails at once and tries again.
INJECTED = {"code": -32000, "message": "injected: no block hashes today"}


async def health_until(client: httpx.AsyncClient, wanted: Any) -> tuple[int, dict[str, Any]]:
    """GET /health until `wanted(code, body)`; the last answer."""
    async with asyncio.timeout(PATIENCE):
        while True:
            response = await client.get("/health")
            if wanted(response.status_code, body := response.json()):
                return response.status_code, body
            await asyncio.sleep(0.05)


async def test_health_is_stale_while_the_head_lags_the_nodes_finalized_head(
    tmp_path: Path,
) -> None:
    settings = settings_for(network="sim", health_max_lag_blocks=3, data_dir=tmp_path)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        body = await wait_for_health(client)
        assert body["lagBlocks"] == 0 and body["maxLagBlocks"] == 3
        assert body["follower"]["nodeFinalized"] == body["head"]["number"]
        simnet = services.simnet
        assert simnet is not None
        head = body["head"]["number"]

        # Within the limit: behind, and still healthy.
        simnet.set_faults(error_rate=1.0, error_methods=["chain_getBlockHash"], error=INJECTED)
        await simnet.produce_blocks(2)
        code, body = await health_until(client, lambda _, b: b["lagBlocks"] == 2)
        assert code == 200 and body["status"] == "ok"
        assert body["head"]["number"] == head
        assert body["follower"]["lastError"] is not None

        # Past it: stale, though the last head arrived a moment ago.
        await simnet.produce_blocks(3)
        code, body = await health_until(client, lambda _, b: b["lagBlocks"] == 5)
        assert code == 503 and body["status"] == "stale", body
        assert body["head"]["number"] == head
        assert body["follower"]["nodeFinalized"] == head + 5
        assert body["headAgeSeconds"] < settings.health_max_head_age

        simnet.set_faults()  # the follower catches up: healthy again within the limit, then
        code, body = await health_until(client, lambda c, _: c == 200)
        assert body["status"] == "ok" and body["lagBlocks"] <= 3
        code, body = await health_until(client, lambda _, b: b["lagBlocks"] == 0)
        assert code == 200 and body["head"]["number"] == head + 5
