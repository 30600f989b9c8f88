"""`history` as an operator's nodes serve it: points the node has pruned come from the archive
node, and a long cold series runs for PYLON_HISTORY_TIMEOUT instead of the request's usual
limits (and says which limit it ran into when it does not finish)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, Served, running, settings_for, wait_for_health

pytestmark = pytest.mark.timeout(300)

#: Both simnets start at this Timestamp.Now, so that, made alike, they make the same chain.
START_MS = 1_700_000_000_000
#: Finalized blocks whose state the pruned node keeps.
KEPT = 8

SERIES = """query ($f: Int!, $t: Int!) {
  history(netuid: 1, fromBlock: $f, toBlock: $t) {
    block { number hash } neuronCount
    neurons(where: {validatorPermit: true}, orderBy: {field: STAKE, direction: DESC}, first: 4) {
      uid stakeRao lastUpdate
    }
  }
}"""


def node(**config: Any) -> Simnet:
    return Simnet(SimnetConfig(port=0, manual=True, start_timestamp_ms=START_MS, **config))


@contextlib.asynccontextmanager
async def server(tmp_path: Path, **settings: Any) -> AsyncIterator[Served]:
    # reads of cold blocks are over the anonymous budget: the operator's own dashboard
    values = {"data_dir": tmp_path, "max_cost_anonymous": 10**9, **settings}
    configured = settings_for(**values)
    services = Services(configured)
    async with (
        running(configured, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Served(url, client, services)


async def synced(served: Served, number: int) -> None:
    async with asyncio.timeout(PATIENCE):
        while (head := served.services.reader.head) is None or head.number < number:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def post(served: Served, variables: dict[str, Any]) -> httpx.Response:
    return await served.client.post("/graphql", json={"query": SERIES, "variables": variables})


@pytest.fixture(scope="module")
async def nodes() -> AsyncIterator[tuple[Simnet, Simnet]]:
    """A pruned node (KEPT blocks of state) and an archive node of the same chain."""
    pruned, archive = node(history=KEPT), node(archive=True)
    await pruned.start()
    await archive.start()
    try:
        await pruned.produce_blocks(40)
        await archive.produce_blocks(40)
        assert pruned.finalized_hash == archive.finalized_hash  # one chain, two nodes
        yield pruned, archive
    finally:
        await pruned.stop()
        await archive.stop()


async def test_points_the_node_pruned_come_from_the_archive_node(
    nodes: tuple[Simnet, Simnet], tmp_path: Path
) -> None:
    pruned, archive = nodes
    last = pruned.finalized_number
    first = last - 30  # all but the last KEPT blocks are pruned on `pruned`
    variables = {"f": first, "t": last}
    async with server(tmp_path / "alone", network=pruned.url) as alone:
        await synced(alone, last)
        refused = (await post(alone, variables)).json()
    assert refused["data"] is None
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "BLOCK_PRUNED", error
    assert "PYLON_ARCHIVE_NETWORK" in error["message"]

    async with server(
        tmp_path / "behind", network=pruned.url, archive_network=archive.url
    ) as behind:
        await synced(behind, last)
        answer = (await post(behind, variables)).json()
    assert "errors" not in answer, answer
    points = answer["data"]["history"]
    assert [p["block"]["number"] for p in points] == list(range(first, last + 1))
    assert [p["block"]["hash"] for p in points] == [
        archive.world.hash_by_number[n] for n in range(first, last + 1)
    ]

    # the same series from a server on the archive node alone
    async with server(tmp_path / "archive", network=archive.url) as whole:
        await synced(whole, last)
        expected = (await post(whole, variables)).json()
    assert points == expected["data"]["history"]
    assert len({str(p["neurons"]) for p in points}) > 1  # the series moves


@pytest.fixture
async def slow_node() -> AsyncIterator[Simnet]:
    simnet = node(archive=True)
    await simnet.start()
    try:
        await simnet.produce_blocks(40)
        yield simnet
    finally:
        await simnet.stop()


async def test_a_series_longer_than_the_request_timeout_runs_for_the_history_timeout(
    slow_node: Simnet, tmp_path: Path
) -> None:
    last = slow_node.finalized_number
    variables = {"f": last - 31, "t": last}
    limits = {"request_timeout": 1.0, "chain_timeout": 1.0, "cache_blocks": 64}
    async with server(
        tmp_path / "long", network=slow_node.url, history_timeout=120, **limits
    ) as patient:
        await synced(patient, last)
        # each answer 0.25 s late: 32 cold points, 8 at a time, are several seconds of calls,
        # past both 1 s limits; every call on its own is within PYLON_CHAIN_TIMEOUT
        slow_node.set_faults(latency=0.25)
        try:
            response = await post(patient, variables)
        finally:
            slow_node.set_faults()
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    assert [p["block"]["number"] for p in answer["data"]["history"]] == list(
        range(last - 31, last + 1)
    )

    async with server(
        tmp_path / "short", network=slow_node.url, history_timeout=1.5, **limits
    ) as hurried:
        await synced(hurried, last)
        slow_node.set_faults(latency=0.25)
        try:
            response = await post(hurried, {"f": last - 35, "t": last - 4})
        finally:
            slow_node.set_faults()
    assert response.status_code == 504, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "PYLON_HISTORY_TIMEOUT" in error["message"], error
