"""Rate limits as a client meets them: uvicorn on a free port (a fake chain behind it), counters
in memory and in a real redis-server shared by two replicas."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from pydantic import ValidationError
from pylon_gql_client import AsyncPylonClient, RateLimited

from pylon_gql.settings import Settings, describe_errors
from tests.e2e.conftest import free_port, running, settings_for
from tests.http.test_app import FakeChain

VALIDATOR, OTHER_VALIDATOR, OWNER = "validator-token", "second-validator-token", "owner-token"
QUERY = {"query": "{ __typename }"}


def limited(**values: Any) -> Settings:
    # Hourly limits: the sliding window weighs the previous window's count by how much of it is
    # still inside, so a test straddling a window's edge could get one request more; an hour's
    # edge is unlikely to fall inside a test.
    base: dict[str, Any] = {
        "rate_limits": True,
        "rate_limit_anonymous": "3/hour",
        "rate_limit_validator": "5/hour",
        "rate_limit_owner": "2/hour",
        "validator_tokens": f"{VALIDATOR},{OTHER_VALIDATOR}",
        "owner_tokens": OWNER,
        "response_cache_bytes": 0,
    }
    return settings_for(**{**base, **values})


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running(settings, FakeChain()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def post(client: httpx.AsyncClient, token: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return await client.post("/graphql", json=QUERY, headers=headers)


def assert_limited(response: httpx.Response) -> int:
    """The 429 a client sees; returns its Retry-After."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 3600
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
    assert response.json()["data"] is None
    assert response.headers.get("x-request-id")  # refusals carry one too
    return retry_after


async def test_an_address_without_a_token_gets_429_past_its_limit() -> None:
    async with serve(limited()) as client:
        for _ in range(3):
            assert (await post(client)).status_code == 200
        assert_limited(await post(client))
        # A made-up token counts as none: it buys no counter of its own.
        assert_limited(await post(client, token="made-up"))
        # A real token has its own counter, whatever the address did.
        assert (await post(client, token=VALIDATOR)).status_code == 200


async def test_each_token_has_its_own_counter_with_its_roles_limits() -> None:
    async with serve(limited()) as client:
        for _ in range(5):
            assert (await post(client, token=VALIDATOR)).status_code == 200
        assert_limited(await post(client, token=VALIDATOR))
        assert (await post(client, token=OTHER_VALIDATOR)).status_code == 200
        for _ in range(2):
            assert (await post(client, token=OWNER)).status_code == 200
        assert_limited(await post(client, token=OWNER))


async def test_a_websocket_handshake_counts_and_is_denied_with_429() -> None:
    async with serve(limited(rate_limit_anonymous="1/hour")) as client:
        assert (await post(client)).status_code == 200
        url = str(client.base_url).replace("http", "ws", 1) + "/graphql"
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
                pass
        assert refused.value.response.status_code == 429
        assert int(refused.value.response.headers["retry-after"]) >= 1
        assert refused.value.response.headers.get("x-request-id")


async def test_the_client_raises_rate_limited_with_the_servers_retry_after() -> None:
    async with serve(limited(rate_limit_anonymous="1/hour")) as client:
        url = str(client.base_url)
        async with AsyncPylonClient(url, retries=0) as pylon:
            await pylon.execute("{ __typename }")
            with pytest.raises(RateLimited) as raised:
                await pylon.execute("{ __typename }")
        assert raised.value.code == "RATE_LIMITED"
        assert raised.value.retry_after is not None and 1 <= raised.value.retry_after <= 3600


async def test_limits_off_by_setting() -> None:
    async with serve(limited(rate_limits=False, rate_limit_anonymous="1/hour")) as client:
        for _ in range(5):
            assert (await post(client)).status_code == 200


def test_a_limit_that_does_not_parse_stops_the_start() -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        settings_for(rate_limit_reader="lots")


def test_a_redis_url_that_is_not_one_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        settings_for(redis_url="http://user:hunter2@cache.example:6379")
    (line,) = describe_errors(refused.value)
    assert line.startswith("PYLON_REDIS_URL: must be a redis://") and "hunter2" not in line


# --- Redis: counters shared by replicas


async def test_replicas_share_their_counters_in_redis(redis_url: str) -> None:
    # A fresh database number per run would need FLUSHDB; a per-run token does the same.
    token = f"replica-{os.getpid()}-{asyncio.get_running_loop().time()}"
    settings = limited(redis_url=redis_url, validator_tokens=token)
    async with serve(settings) as first, serve(settings) as second:
        for client in (first, second, first, second, first):
            assert (await post(client, token=token)).status_code == 200
        assert_limited(await post(second, token=token))
        assert_limited(await post(first, token=token))


async def test_a_redis_that_does_not_answer_lets_requests_through() -> None:
    settings = limited(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    async with serve(settings) as client:
        for _ in range(5):
            assert (await post(client)).status_code == 200
