"""A manual-mode simnet (the finney snapshot world) and a ChainClient on it over a websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain.client import ChainClient
from pylon_gql.simnet import Simnet, SimnetConfig

START_MS = 1_764_000_000_000


def simnet_config(**overrides: object) -> SimnetConfig:
    settings: dict[str, object] = dict(
        host="127.0.0.1", port=0, manual=True, finality_lag=0, start_timestamp_ms=START_MS
    )
    settings.update(overrides)
    return SimnetConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def simnet() -> AsyncIterator[Simnet]:
    """Shared: tests read at explicit blocks, and producing blocks only ever adds new ones."""
    async with Simnet(simnet_config()) as sim:
        yield sim


@pytest.fixture(scope="session")
async def client(simnet: Simnet) -> AsyncIterator[ChainClient]:
    async with ChainClient(simnet.url, timeout=10) as client:
        yield client
