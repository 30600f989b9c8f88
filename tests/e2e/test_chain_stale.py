"""`chain { stale }` follows /health's head-age rule: a server whose chain stops producing
blocks says `stale: true` as /health answers `stale` (503), and false again with a new block."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, graphql, running, settings_for

pytestmark = pytest.mark.timeout(300)

CHAIN = "{ chain { head { number } headAgeSeconds stale } }"


async def _both(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    chain = (await graphql(client, CHAIN))["data"]["chain"]
    return chain, (await client.get("/health")).json()["status"]


async def test_stale_flips_as_health_does(tmp_path: Path) -> None:
    # Blocks come only when the test produces them; a head older than a second is stale.
    settings = settings_for(
        network="sim", health_max_head_age=1.0, sim_block_time=0.5, data_dir=tmp_path
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        simnet = services.simnet
        assert simnet is not None

        async def fresh() -> tuple[dict[str, Any], str]:
            # A loaded machine may take longer than the age between a block and the asking:
            # produce blocks until both are seen fresh.
            async with asyncio.timeout(PATIENCE):
                while True:
                    await simnet.produce_blocks(1)
                    chain, health = await _both(client)
                    if chain["stale"] is False and health == "ok":
                        return chain, health
                    await asyncio.sleep(0.05)

        chain, _ = await fresh()
        assert chain["headAgeSeconds"] <= 1.0

        # No new block: the head ages past the limit, and both call it stale.
        async with asyncio.timeout(PATIENCE):
            while (await _both(client))[0]["stale"] is not True:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        chain, health = await _both(client)
        assert chain["stale"] is True and chain["headAgeSeconds"] > 1.0
        assert health == "stale"
        response = await client.get("/health")
        assert response.status_code == 503

        # A new block: fresh again.
        await fresh()
