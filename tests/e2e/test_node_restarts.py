"""The server follows its node wherever it goes: down (/health 503), back from an earlier state
(the head goes back with it, and /health says so)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, free_port, graphql, running, settings_for


async def health_until(client: httpx.AsyncClient, code: int, **wanted: Any) -> dict[str, Any]:
    """/health once it answers `code` with a body that has the `wanted` values."""
    async with asyncio.timeout(PATIENCE):
        while True:
            response = await client.get("/health")
            body = response.json()
            if response.status_code == code and all(body.get(k) == v for k, v in wanted.items()):
                return body
            await asyncio.sleep(0.1)


async def test_a_node_down_then_back_from_an_earlier_state(tmp_path: Path) -> None:
    port = free_port()
    node = SimnetConfig(port=port, manual=True, finality_lag=0)
    first = Simnet(node)
    await first.start()
    await first.produce_blocks(20)
    ahead = first.finalized_number
    settings = settings_for(network=f"ws://127.0.0.1:{port}", chain_timeout=5, data_dir=tmp_path)
    services = Services(settings)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        try:
            body = await health_until(client, 200, head={"number": ahead, "hash": first.head_hash})
        finally:
            await first.stop()

        down = await health_until(client, 503, status="unreachable")
        assert down["chain"]["connected"] is False
        assert down["follower"]["unreachableSeconds"] > settings.chain_timeout

        # The node is back, restored from the snapshot: 20 blocks behind the server's head.
        second = Simnet(node)
        await second.start()
        try:
            behind = {"number": second.finalized_number, "hash": second.finalized_hash}
            assert behind["number"] < ahead
            body = await health_until(client, 200, head=behind)
            answer = await graphql(
                client,
                "query ($h: String) { head { number hash } block(hash: $h) { number } }",
                {"h": behind["hash"]},
            )
        finally:
            await second.stop()

    assert body["status"] == "ok" and body["chain"]["connected"] is True
    assert body["follower"]["resets"] == 1
    assert body["follower"]["lastReset"]["from"]["number"] == ahead
    assert body["follower"]["lastReset"]["to"] == behind
    # The server answers for the node's chain, its own head included (was NOT_FOUND).
    assert answer == {"data": {"head": behind, "block": {"number": behind["number"]}}}
