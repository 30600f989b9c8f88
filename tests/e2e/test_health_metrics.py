"""/health and /metrics of the running server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, Served, free_port, running, settings_for, wait_for_health


async def test_health_goes_from_503_to_200_when_the_first_head_arrives(tmp_path: Path) -> None:
    # The server starts first, pointed at a node that is not up yet.
    port = free_port()
    settings = settings_for(network=f"ws://127.0.0.1:{port}", data_dir=tmp_path)
    async with (
        running(settings, Services(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        before = await client.get("/health")
        assert before.status_code == 503
        body = before.json()
        # Starting, and unreachable once the follower has tried the node: it says why.
        assert body["status"] in ("starting", "unreachable")
        async with asyncio.timeout(PATIENCE):
            while body["status"] != "unreachable":
                await asyncio.sleep(0.05)
                before = await client.get("/health")
                body = before.json()
        assert before.status_code == 503
        assert body["follower"]["nodeReachable"] is False
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
    """The sum of the samples called `name` that carry `labels` (and any others: a counter by
    operation counts every `cache` value), read with prometheus-client's parser; 0 if none."""
    return sum(
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == name and labels.items() <= found.labels.items()
    )


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


async def test_metrics_speak_openmetrics_when_the_scraper_asks(served: Served) -> None:
    plain = await served.client.get("/metrics")
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# EOF" not in plain.text
    openmetrics = await served.client.get(
        "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert openmetrics.status_code == 200
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")
    assert "# TYPE pylon_gql_build info" in openmetrics.text
    assert "\npylon_head_block " in openmetrics.text


async def scrape(served: Served) -> str:
    response = await served.client.get("/metrics")
    assert response.status_code == 200
    return response.text


def gauges(text: str) -> tuple[float, float, float]:
    """(open websocket connections, running newBlock subscriptions, running newEpoch ones)."""
    return (
        sample(text, "pylon_websocket_connections"),
        sample(text, "pylon_subscriptions_active", field="newBlock"),
        sample(text, "pylon_subscriptions_active", field="newEpoch"),
    )


async def gauges_reach(served: Served, expected: tuple[float, float, float]) -> None:
    """Scrapes until the gauges read `expected` (the server takes a connection's close, or a
    subscribe, on its own time); fails after PATIENCE with what they read last."""
    seen = gauges(await scrape(served))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(PATIENCE):
            while seen != expected:
                await asyncio.sleep(0.05)
                seen = gauges(await scrape(served))
    assert seen == expected


@contextlib.asynccontextmanager
async def initialised(url: str, protocol: str) -> AsyncIterator[websockets.ClientConnection]:
    async with websockets.connect(url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def test_websocket_and_subscription_gauges_go_up_and_down(served: Served) -> None:
    # The gauges are the process's: earlier tests' connections have closed by now.
    await gauges_reach(served, (0, 0, 0))
    url = served.url.replace("http://", "ws://") + "/graphql"
    async with (
        initialised(url, "graphql-transport-ws") as block_watcher,
        initialised(url, "graphql-ws") as epoch_watcher,  # the legacy protocol's handler too
        initialised(url, "graphql-transport-ws"),  # a connection with no subscription
    ):
        await gauges_reach(served, (3, 0, 0))
        await block_watcher.send(
            json.dumps(
                {
                    "id": "blocks",
                    "type": "subscribe",
                    "payload": {"query": "subscription Blocks { newBlock { number } }"},
                }
            )
        )
        await epoch_watcher.send(
            json.dumps({"id": "query", "type": "start", "payload": {"query": "{ __typename }"}})
        )  # a query: not a subscription, never counted
        await epoch_watcher.send(
            json.dumps(
                {
                    "id": "epochs",
                    "type": "start",
                    "payload": {"query": "subscription { newEpoch { index } }"},
                }
            )
        )
        await gauges_reach(served, (3, 1, 1))
        # A subscription the client completes stops counting at once, its connection still open.
        await block_watcher.send(json.dumps({"id": "blocks", "type": "complete"}))
        await gauges_reach(served, (3, 0, 1))
    await gauges_reach(served, (0, 0, 0))
