"""Fixtures: a manual-mode simnet on a free port and an unmodified turbobt client on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import turbobt
import websockets.asyncio.client

from pylon_gql.simnet import Simnet, SimnetConfig, load_fixture_json

# a fixed clock makes timestamps exact in assertions
START_MS = 1_764_000_000_000


@pytest.fixture(scope="session")
def fixture_json() -> dict[str, Any]:
    """The recorded finney answers, from the copy shipped inside the package."""
    return load_fixture_json("finney-netuid1-block6852690.json")


@pytest.fixture(scope="session")
async def simnet() -> AsyncIterator[Simnet]:
    """Shared by the read-mostly tests: they pass explicit block hashes, and blocks only
    ever get added, so one test producing blocks does not change what another reads."""
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        yield sim


@pytest.fixture(scope="session")
async def bt(simnet: Simnet) -> AsyncIterator[turbobt.Bittensor]:
    async with turbobt.Bittensor(simnet.url) as client:
        yield client


async def raw_request(url: str, method: str, params: Any = None, request_id: int = 1) -> Any:
    """One JSON-RPC request over a fresh websocket; the whole answer object."""
    async with websockets.asyncio.client.connect(url, max_size=2**24) as ws:
        await ws.send(
            json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        )
        while True:
            answer = json.loads(await ws.recv())
            if answer.get("id") == request_id:
                return answer
