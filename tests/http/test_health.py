"""/metrics behind PYLON_METRICS_TOKEN, as a scraper meets it (uvicorn on a free port)."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import running, settings_for
from tests.http.test_app import FakeChain

SCRAPER = "scrape-token"
VALIDATOR = "validator-token"


async def test_metrics_need_the_metrics_token_when_it_is_set() -> None:
    settings = settings_for(metrics_token=SCRAPER, validator_tokens=VALIDATOR)
    async with (
        running(settings, FakeChain()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        for headers in (
            {},
            {"authorization": "Bearer wrong"},
            {"authorization": SCRAPER},  # not a bearer credential
            {"authorization": f"Bearer {VALIDATOR}"},  # a role's token is not the scraper's
        ):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "pylon_" not in refused.text and "PYLON_METRICS_TOKEN" in refused.text
        # Not from the URL either.
        assert (await client.get("/metrics", params={"token": SCRAPER})).status_code == 401
        scraped = await client.get("/metrics", headers={"authorization": f"Bearer {SCRAPER}"})
        assert scraped.status_code == 200 and "pylon_" in scraped.text


async def test_metrics_are_open_without_the_setting() -> None:
    async with (
        running(settings_for(), FakeChain()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        response = await client.get("/metrics")
        assert response.status_code == 200 and "pylon_" in response.text
