"""The server on a node that misbehaves (the simnet's fault flags): transient errors are
retried, and a query answers within one `PYLON_CHAIN_TIMEOUT` however many calls it makes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, Served, running, settings_for, wait_for_health

#: Queries whose every answer needs the node: a block each, with nothing cached across blocks.
DOCUMENT = """query ($b: Int) {
  block(number: $b) { hash timestamp }
  hyperparameters(block: $b) { tempo }
  subnet(block: $b) { name }
}"""


@pytest.fixture
async def own_server() -> AsyncIterator[Served]:
    """A server of its own (faults hit every client of its node), caching as little as it can."""
    settings = settings_for(network="sim", cache_blocks=1, response_cache_bytes=0, chain_timeout=5)
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


async def test_at_a_30_percent_node_error_rate_99_percent_of_answers_are_data(
    own_server: Served,
) -> None:
    blocks = await produce(own_server, 5)
    simnet_of(own_server).set_faults(error_rate=0.3)
    answered = await answers(own_server, blocks, 100)
    assert data_share(answered) >= 0.99, [a["errors"] for a in answered if "errors" in a][:3]


async def test_when_every_fifth_connection_drops_99_percent_of_answers_are_data(
    own_server: Served,
) -> None:
    blocks = await produce(own_server, 5)
    simnet_of(own_server).set_faults(drop_every=5)
    answered = await answers(own_server, blocks, 50)
    assert data_share(answered) >= 0.99, [a["errors"] for a in answered if "errors" in a][:3]


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
    # Three reads, each of which alone had PYLON_CHAIN_TIMEOUT (5 s): together, 5 s.
    assert took < 7.5
