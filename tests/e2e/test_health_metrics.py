"""/health and /metrics of the running server."""

from __future__ import annotations

import asyncio
import re

import httpx

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, Served, free_port, running, settings_for, wait_for_health


async def test_health_goes_from_503_to_200_when_the_first_head_arrives() -> None:
    # The server starts first, pointed at a node that is not up yet.
    port = free_port()
    settings = settings_for(network=f"ws://127.0.0.1:{port}")
    async with (
        running(settings, Services(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        before = await client.get("/health")
        assert before.status_code == 503
        body = before.json()
        assert body["status"] == "starting"
        assert body["head"] is None
        assert body["chain"] == {"connected": False}
        no_head = await client.post("/graphql", json={"query": "{ head { number } }"})
        assert no_head.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"

        simnet = Simnet(SimnetConfig(port=port, manual=True))
        await simnet.start()
        try:
            after = await wait_for_health(client)
        finally:
            await simnet.stop()
    assert after["status"] == "ok"
    assert after["chain"] == {"connected": True}
    assert after["head"]["number"] >= 6852690
    assert 0 <= after["headAgeSeconds"] < settings.health_max_head_age
    assert after["follower"]["state"] == "following"


def sample(text: str, name: str, **labels: str) -> float:
    """One sample of the prometheus text format, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{wanted}}}" if labels else "")) + r" (\S+)$"
    for line in text.splitlines():
        if match := re.match(pattern, line):
            return float(match.group(1))
    return 0.0


async def test_metrics_count_a_query(served: Served) -> None:
    before = (await served.client.get("/metrics")).text
    response = await served.client.post(
        "/graphql",
        json={"query": "query MetricsProbe { metagraph { neuronCount } }"},
    )
    assert response.json()["data"]["metagraph"]["neuronCount"] == 1024
    after_response = await served.client.get("/metrics")
    assert after_response.status_code == 200
    after = after_response.text
    ok = {"operation": "MetricsProbe", "outcome": "ok"}
    assert sample(after, "pylon_graphql_requests_total", **ok) == (
        sample(before, "pylon_graphql_requests_total", **ok) + 1
    )
    assert sample(after, "pylon_graphql_request_seconds_count", operation="MetricsProbe") >= 1
    # the metagraph was warmed by the follower: this read was a cache hit
    assert sample(after, "pylon_cache_hits_total", kind="metagraph") > sample(
        before, "pylon_cache_hits_total", kind="metagraph"
    )
    assert sample(after, "pylon_head_block") >= 6852690
    assert "pylon_head_age_seconds " in after
    assert "pylon_chain_calls_total{" in after
    assert "pylon_chain_call_seconds_bucket{" in after


async def test_request_id_is_echoed_and_health_is_json(served: Served) -> None:
    response = await served.client.get("/health", headers={"x-request-id": "probe-42"})
    assert response.headers["x-request-id"] == "probe-42"
    assert response.json()["status"] == "ok"
    assert response.json()["simulated"] is True


async def test_graphiql_is_served_to_a_browser(served: Served) -> None:
    response = await served.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "<html" in response.text.lower()
    assert "graphiql" in response.text.lower()


async def test_health_stays_up_while_queries_run(served: Served) -> None:
    queries = [
        served.client.post("/graphql", json={"query": "{ metagraph { neurons { uid } } }"})
        for _ in range(5)
    ]
    answers = await asyncio.gather(*queries, served.client.get("/health"))
    *graphql, health = answers
    assert health.status_code == 200
    assert all(len(r.json()["data"]["metagraph"]["neurons"]) == 1024 for r in graphql)
