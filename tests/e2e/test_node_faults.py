"""The server on a node that misbehaves (the simnet's fault flags): transient errors are
retried, /health stays 200 through them, and a query answers within one `PYLON_CHAIN_TIMEOUT`
however many calls it makes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.faults import BUSY_ERROR

from .conftest import PATIENCE, Served, running, settings_for, wait_for_health

#: Queries whose every answer needs the node: a block each, with nothing cached across blocks.
DOCUMENT = """query ($b: Int) {
  block(number: $b) { hash timestamp }
  hyperparameters(block: $b) { tempo }
  subnet(block: $b) { name }
}"""


#: What a node provider says when it rate-limits: as transient as a busy node.
RATE_LIMITED = {"code": -32029, "message": "Too many requests: rate limit exceeded"}


@pytest.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[Served]:
    """A server of its own (faults hit every client of its node), caching as little as it can.
    Its chain timeout is short: /health's patience with a node that answers nothing, too."""
    settings = settings_for(
        network="sim", cache_blocks=1, response_cache_bytes=0, chain_timeout=4, data_dir=tmp_path
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Served(url, client, services)


def simnet_of(served: Served) -> Simnet:
    assert served.services.simnet is not None
    return served.services.simnet


async def produce(served: Served, count: int) -> list[int]:
    """`count` new blocks, once the server's head has reached them (before any fault)."""
    simnet = simnet_of(served)
    before = simnet.finalized_number
    await simnet.produce_blocks(count)
    last = simnet.finalized_number
    async with asyncio.timeout(PATIENCE):
        while (head := served.services.reader.head) is None or head.number < last:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return list(range(max(before + 1, last - count + 1), last + 1))


async def answers(served: Served, blocks: list[int], count: int) -> list[dict]:
    """`count` answers, at `blocks` in turn: the server keeps one block, so each is read anew."""
    return [await served.query(DOCUMENT, {"b": blocks[i % len(blocks)]}) for i in range(count)]


def data_share(answers: list[dict]) -> float:
    return sum("errors" not in a for a in answers) / len(answers)


@contextlib.contextmanager
def health_watched(served: Served) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Every /health answer (code, body) while inside, asked every 50 ms. No block comes
    meanwhile (as between two blocks of 12 s): the follower's subscription drops and is made
    again, and only the node's answers tell it that the node is there."""
    seen: list[tuple[int, dict[str, Any]]] = []

    async def watch() -> None:
        while True:
            response = await served.client.get("/health")
            seen.append((response.status_code, response.json()))
            await asyncio.sleep(0.05)

    task = asyncio.create_task(watch())
    try:
        yield seen
    finally:
        task.cancel()


def unhealthy(seen: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [body for code, body in seen if code != 200]


@pytest.mark.parametrize("error", [BUSY_ERROR, RATE_LIMITED], ids=["busy", "rate-limited"])
async def test_at_a_30_percent_node_error_rate_99_percent_of_answers_are_data(
    own_server: Served, error: dict[str, Any]
) -> None:
    blocks = await produce(own_server, 5)
    simnet_of(own_server).set_faults(error_rate=0.3, error=error)
    with health_watched(own_server) as health:
        answered = await answers(own_server, blocks, 100)
    simnet_of(own_server).set_faults()

    assert data_share(answered) >= 0.99, [a["errors"] for a in answered if "errors" in a][:3]
    assert len(health) > 10 and not unhealthy(health), unhealthy(health)[:2]


async def test_when_every_fifth_connection_drops_99_percent_of_answers_are_data(
    own_server: Served,
) -> None:
    blocks = await produce(own_server, 5)
    simnet_of(own_server).set_faults(drop_every=5)
    with health_watched(own_server) as health:
        answered = await answers(own_server, blocks, 100)
    simnet_of(own_server).set_faults()
    follower = own_server.services.follower
    assert follower is not None

    assert data_share(answered) >= 0.99, [a["errors"] for a in answered if "errors" in a][:3]
    # The drops did reach the follower's subscription: it was made again, and more than once.
    assert follower.restarts > 1
    # A dropped connection that opens again at once is not a node that is down.
    assert len(health) > 10 and not unhealthy(health), unhealthy(health)[:2]
    assert all(body["follower"]["nodeReachable"] for _, body in health)


async def test_a_node_that_does_not_answer_costs_one_chain_timeout(own_server: Served) -> None:
    block = (await produce(own_server, 2))[0]  # no longer cached
    simnet = simnet_of(own_server)
    simnet.set_faults(
        stall=True, stall_methods=["state_call", "state_getStorage", "chain_getHeader"]
    )
    started = time.monotonic()
    answer = await own_server.query(DOCUMENT, {"b": block})
    took = time.monotonic() - started
    simnet.set_faults()

    assert {e["extensions"]["code"] for e in answer["errors"]} == {"UNAVAILABLE"}
    # Three reads, each of which alone had PYLON_CHAIN_TIMEOUT (4 s): together, 4 s.
    assert took < 6
