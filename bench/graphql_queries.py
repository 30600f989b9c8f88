"""Latency of GraphQL queries over HTTP against the server on the simnet (cached blocks).

    uv run python bench/graphql_queries.py [rounds]

Prints one row per query: answer size, median and 90th percentile over `rounds` requests
after a first (warming) one. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import sys
import time
from collections.abc import AsyncIterator

import httpx
import uvicorn

from pylon_gql.cli import UVICORN_WS
from pylon_gql.http import create_app
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from pylon_gql.simnet import SimnetConfig

QUERIES = {
    "metagraph, every neuron field": """{ metagraph { block { number hash } neuronCount neurons {
        block { number } uid hotkey coldkey active validatorPermit stake stakeRao rank emission
        emissionRao incentive consensus trust validatorTrust dividends lastUpdate
        blocksSinceLastUpdate pruningScore axon { ip port ipType protocol version block }
        prometheus { ip port ipType version block } } } }""",
    "metagraph, 4 neuron fields": "{ metagraph { neurons { uid hotkey stake incentive } } }",
    "top 10 validators by stake": """{ metagraph { neurons(where: {validatorPermit: true},
        orderBy: {field: STAKE, direction: DESC}, first: 10) { uid hotkey stake } } }""",
    "one neuron by uid": "{ neuron(uid: 7) { uid hotkey stake incentive lastUpdate } }",
    "head and epoch": "{ head { number epoch { start end blocksRemaining } } }",
}


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[str]:
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    config = uvicorn.Config(
        create_app(settings, services), port=0, ws=UVICORN_WS, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def main(rounds: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    settings = Settings(  # measured without the rate limits (one address, many rounds)
        _env_file=None,  # type: ignore[call-arg]
        network="sim",
        log_level="ERROR",
        rate_limits=False,
    )
    async with serve(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        while (await client.get("/health")).status_code != 200:  # noqa: ASYNC110 - polls HTTP
            await asyncio.sleep(0.1)
        print(f"{'query':32} {'bytes':>9} {'median ms':>10} {'p90 ms':>8}")
        for name, document in QUERIES.items():
            first = await client.post("/graphql", json={"query": document})
            assert "errors" not in first.json(), first.text[:300]
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                await client.post("/graphql", json={"query": document})
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p90 = times[int(0.9 * (len(times) - 1))]
            median = statistics.median(times)
            print(f"{name:32} {len(first.content):>9} {median:>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
