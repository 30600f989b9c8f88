"""The Starlette app over a fake chain, through ASGI: /graphql, /health, /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pylon_gql.auth import Role
from pylon_gql.events import EventHub
from pylon_gql.http import create_app
from pylon_gql.settings import Settings
from tests.e2e.conftest import running, settings_for
from tests.schema.fakes import FakeReader, make_settings


class FakeChain:
    def __init__(self) -> None:
        self.reader = FakeReader(head_number=None)
        self.hub = EventHub()
        self.age: float | None = None
        self.writes = None
        self.dev_tokens: dict[Role, str] = {}

    def head_age(self) -> float | None:
        return self.age

    def status(self) -> dict[str, Any]:
        state = "starting" if self.age is None else "following"
        return {"connected": self.age is not None, "follower": {"state": state}}

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@pytest.fixture
def chain() -> FakeChain:
    return FakeChain()


def client_for(settings: Settings, chain: FakeChain) -> httpx.AsyncClient:
    app = create_app(settings, chain)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # httpx 0.26's ASGI types
    # A name the default PYLON_ALLOWED_HOSTS (bound to 127.0.0.1) answers.
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


@pytest.fixture
async def client(chain: FakeChain) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(health_max_head_age=60)
    async with client_for(settings, chain) as client:
        yield client


async def test_health_is_503_until_a_fresh_head(
    client: httpx.AsyncClient, chain: FakeChain
) -> None:
    starting = await client.get("/health")
    assert starting.status_code == 503
    assert starting.json()["status"] == "starting"
    assert starting.json()["head"] is None

    chain.reader.head_number = 1010
    chain.age = 3.0
    ok = await client.get("/health")
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "ok"
    assert body["chain"] == {"connected": True}
    assert body["head"]["number"] == 1010
    assert body["headAgeSeconds"] == 3.0
    assert body["follower"] == {"state": "following"}

    chain.age = 61.0
    stale = await client.get("/health")
    assert stale.status_code == 503
    assert stale.json()["status"] == "stale"


async def test_graphql_over_http_echoes_the_request_id(
    client: httpx.AsyncClient, chain: FakeChain
) -> None:
    chain.reader.head_number = 1010
    response = await client.post(
        "/graphql",
        json={"query": "{ head { number } }"},
        headers={"x-request-id": "abc-123"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json() == {
        "data": {"head": {"number": 1010}},
        "extensions": {"cost": {"estimated": 2}},  # head, number
    }
    fresh = await client.post("/graphql", json={"query": "{ head { number } }"})
    assert len(fresh.headers["x-request-id"]) == 32


async def test_masked_errors_carry_the_request_id(
    client: httpx.AsyncClient, chain: FakeChain
) -> None:
    chain.reader.head_number = 1010
    chain.reader.fail_with["block"] = RuntimeError("boom")
    response = await client.post(
        "/graphql", json={"query": "{ head { number } }"}, headers={"x-request-id": "r-9"}
    )
    assert response.json()["errors"][0]["message"] == "Internal server error, request id r-9"
    assert "boom" not in response.text


async def test_metrics_count_queries_by_operation_and_outcome(
    client: httpx.AsyncClient, chain: FakeChain
) -> None:
    def count(text: str, operation: str, outcome: str) -> float:
        labels = (f'operation="{operation}"', f'outcome="{outcome}"')  # any `cache` label
        rows = [r for r in text.splitlines() if r.startswith("pylon_graphql_requests_total{")]
        return sum(float(r.split()[-1]) for r in rows if all(label in r for label in labels))

    before = (await client.get("/metrics")).text
    chain.reader.head_number = 1010
    await client.post("/graphql", json={"query": "query AppHead { head { number } }"})
    await client.post(
        "/graphql", json={"query": "query AppHead { block(number: 5000) { number } }"}
    )
    after = await client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    for outcome in ("ok", "error"):
        assert count(after.text, "AppHead", outcome) == count(before, "AppHead", outcome) + 1
    assert any(
        row.startswith("pylon_graphql_request_seconds_count{") and 'operation="AppHead"' in row
        for row in after.text.splitlines()
    )


async def test_graphiql_from_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_off_by_setting(chain: FakeChain) -> None:
    settings = make_settings(graphiql=False)
    async with client_for(settings, chain) as client:
        response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404


# --- CORS (PYLON_CORS_ORIGINS), as a browser meets it: over uvicorn

DASHBOARD = "https://dash.example"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


async def test_cors_is_closed_by_default(chain: FakeChain) -> None:
    async with (
        running(settings_for(), chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        preflight = await client.options("/graphql", headers={"origin": DASHBOARD, **PREFLIGHT})
        # Refused: without an allow-origin header the browser sends nothing.
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        answer = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": DASHBOARD}
        )
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


async def test_cors_allows_the_listed_origins_only(chain: FakeChain) -> None:
    settings = settings_for(
        cors_origins=f"{DASHBOARD}, https://other.example",
        rate_limits=True,
        rate_limit_anonymous="1/hour",
    )
    async with (
        running(settings, chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        preflight = await client.options("/graphql", headers={"origin": DASHBOARD, **PREFLIGHT})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == DASHBOARD
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        stranger = await client.options(
            "/graphql", headers={"origin": "https://evil.example", **PREFLIGHT}
        )
        assert stranger.status_code == 400
        assert "access-control-allow-origin" not in stranger.headers
        answer = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": DASHBOARD}
        )
        assert answer.headers["access-control-allow-origin"] == DASHBOARD
        assert "x-request-id" in answer.headers["access-control-expose-headers"]
        # A refusal too carries the header, so that the page can read why (and when to retry).
        limited = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": DASHBOARD}
        )
        assert limited.status_code == 429
        assert limited.headers["access-control-allow-origin"] == DASHBOARD
        assert "retry-after" in limited.headers["access-control-expose-headers"]
