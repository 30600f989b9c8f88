"""/health and /metrics when reads are closed (PYLON_READER_TOKENS set), over uvicorn on a free
port: a caller without a token learns only /health's status (with its HTTP status), the detail
and /metrics need a token."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import running, settings_for
from tests.http.test_app import FakeChain

READER = "reader-token-5e1a"
VALIDATOR = "validator-token-09bc"
SCRAPER = "scrape-token-77d0"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


NO_TOKEN: list[dict[str, str]] = [
    {},
    bearer("made-up"),
    {"authorization": READER},  # not a bearer credential
]


async def test_health_shows_only_its_status_without_a_token() -> None:
    chain = FakeChain()
    settings = settings_for(reader_tokens=READER, validator_tokens=VALIDATOR)
    async with (
        running(settings, chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        for headers in NO_TOKEN:
            starting = await client.get("/health", headers=headers)
            assert (starting.status_code, starting.json()) == (503, {"status": "starting"})
        # Not from the URL either.
        from_url = await client.get("/health", params={"token": READER})
        assert from_url.json() == {"status": "starting"}

        chain.reader.head_number, chain.age = 1010, 2.0
        for headers in NO_TOKEN:
            ok = await client.get("/health", headers=headers)
            assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
        for token in (READER, VALIDATOR):
            detail = await client.get("/health", headers=bearer(token))
            assert detail.status_code == 200
            body = detail.json()
            assert body["status"] == "ok" and body["head"]["number"] == 1010
            assert {"follower", "network", "headAgeSeconds", "lagBlocks"} <= set(body)

        chain.age = 10_000.0
        stale = await client.get("/health")
        assert (stale.status_code, stale.json()) == (503, {"status": "stale"})


async def test_metrics_need_a_token_of_a_role_when_reads_are_closed() -> None:
    settings = settings_for(reader_tokens=READER, validator_tokens=VALIDATOR)
    async with (
        running(settings, FakeChain()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        for headers in NO_TOKEN:
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "pylon_" not in refused.text
        assert (await client.get("/metrics", params={"token": READER})).status_code == 401
        for token in (READER, VALIDATOR):
            scraped = await client.get("/metrics", headers=bearer(token))
            assert scraped.status_code == 200 and "pylon_" in scraped.text


async def test_with_a_metrics_token_the_scraper_sees_the_detail_too() -> None:
    chain = FakeChain()
    chain.reader.head_number, chain.age = 1010, 2.0
    settings = settings_for(reader_tokens=READER, metrics_token=SCRAPER)
    async with (
        running(settings, chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        assert (await client.get("/health")).json() == {"status": "ok"}
        detail = (await client.get("/health", headers=bearer(SCRAPER))).json()
        assert detail["head"]["number"] == 1010
        # /metrics stays the scraper's alone, as without closed reads.
        assert (await client.get("/metrics", headers=bearer(READER))).status_code == 401
        assert (await client.get("/metrics", headers=bearer(SCRAPER))).status_code == 200


async def test_with_reads_open_health_and_metrics_stay_open() -> None:
    chain = FakeChain()
    chain.reader.head_number, chain.age = 1010, 2.0
    async with (
        running(settings_for(validator_tokens=VALIDATOR), chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        body = (await client.get("/health")).json()
        assert body["status"] == "ok" and body["head"]["number"] == 1010
        assert (await client.get("/metrics")).status_code == 200
