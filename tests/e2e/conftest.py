"""The whole server over real sockets: uvicorn on a free port, the simnet as its chain."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from pylon_gql.cli import UVICORN_WS
from pylon_gql.http import create_app
from pylon_gql.http.served import RunningServices
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from pylon_gql.simnet import SimnetConfig

#: Seconds a test waits for the server or the follower before it fails.
PATIENCE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(**overrides: Any) -> Settings:
    # The suite's many requests from one address would trip the default rate limits:
    # tests/http/test_ratelimit.py turns them on. Each server gets a data directory of its own
    # (not ./data, which every test worker would share, database and committer lease alike).
    values: dict[str, Any] = {
        "log_level": "WARNING",
        "rate_limits": False,
        "data_dir": Path(tempfile.mkdtemp(prefix="pylon-test-data-")),
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, services: RunningServices, **uvicorn_options: Any
) -> AsyncIterator[str]:
    """Serve the app with uvicorn on a free port (as `pylon-gql serve` configures it, plus
    `uvicorn_options`); yields the base URL."""
    config = uvicorn.Config(
        create_app(settings, services),
        host="127.0.0.1",
        port=0,
        ws=UVICORN_WS,
        ws_max_size=settings.ws_max_message_bytes,
        timeout_keep_alive=settings.keep_alive,
        **uvicorn_options,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(PATIENCE):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def wait_for_health(client: httpx.AsyncClient) -> dict[str, Any]:
    async with asyncio.timeout(PATIENCE):
        while True:
            response = await client.get("/health")
            if response.status_code == 200:
                return response.json()
            await asyncio.sleep(0.1)


async def graphql(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    answer = response.json()
    # Every query's answer carries its estimated cost, which tests/schema/test_limits.py checks;
    # these tests compare data and errors.
    extensions = answer.get("extensions", {})
    assert set(extensions) <= {"cost"}, extensions
    answer.pop("extensions", None)
    return answer


@dataclass
class Served:
    url: str
    client: httpx.AsyncClient
    services: Services

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict:
        return await graphql(self.client, document, variables)


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[Served]:
    """The server on the simnet in manual mode (blocks only when a test produces them)."""
    # Blocks come only when a test produces one, and a worker's session can outlast the
    # default head age (120 s) before a /health test runs: the head's age is not what is tested.
    settings = settings_for(network="sim", health_max_head_age=24 * 3600)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Served(url, client, services)
