"""How long a `history` series takes: prints a table (no assertions; run it by hand).

    uv run python bench/history.py [points]

An archive simnet (in this process) makes `points` + 10 blocks of subnet 1 (1024 neurons);
then the schema answers `history(netuid: 1, ...)` of `points` points (default 500) with a
ChainReader over a real websocket: cold (every point a node call and a SCALE decode, 8 at a
time) and warm (every point from the reader's per-block cache). The simnet encodes in this
process's event loop too, so the cold figure includes its work.

Here (2 cores, shared): 500 points cold 20.7 s (41 ms a point), warm 0.14 s (0.28 ms a
point); 50 points cold 1.6 s. A cold series that long outlasts the default 15 s
PYLON_CHAIN_TIMEOUT (the query's deadline), which this bench raises.
"""

from __future__ import annotations

import asyncio
import sys
import time

from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef
from pylon_gql.schema import Context, create_schema
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet, SimnetConfig

DOCUMENT = """query ($f: Int!, $t: Int!) { history(netuid: 1, fromBlock: $f, toBlock: $t) {
  block { number } neuronCount neurons(where: {uids: [0, 5]}) { stake trust } } }"""


async def main(points: int) -> None:
    simnet = Simnet(SimnetConfig(port=0, manual=True, archive=True))
    await simnet.start()
    try:
        start = time.perf_counter()
        first = simnet.finalized_number + 1
        while simnet.finalized_number < first + points + 5:
            await simnet.produce_blocks(16)
        made = time.perf_counter() - start
        settings = Settings(
            _env_file=None,  # pyright: ignore[reportCallIssue]
            network=simnet.url,
            cache_blocks=points + 16,
            max_history_points=points,
            max_cost_anonymous=10**12,
            chain_timeout=600,
            log_level="WARNING",
        )
        # a cold series of 500 points takes longer than the default 15 s PYLON_CHAIN_TIMEOUT
        async with ChainClient(simnet.url, timeout=600) as client:
            reader = ChainReader(client, settings)
            head = await client.finalized_head()
            reader.set_head(BlockRef(head.number, head.hash))
            schema = create_schema(settings)
            variables = {"f": first, "t": first + points - 1}
            rows = []
            for label in ("cold", "warm"):
                context = Context(settings=settings, reader=reader, request_id=label)
                began = time.perf_counter()
                result = await schema.execute(
                    DOCUMENT, variable_values=variables, context_value=context
                )
                seconds = time.perf_counter() - began
                assert not result.errors, result.errors
                assert result.data is not None and len(result.data["history"]) == points
                rows.append((label, seconds))
    finally:
        await simnet.stop()
    print(
        f"history of {points} points, subnet 1 (1024 neurons); {points + 5} blocks made in "
        f"{made:.1f} s"
    )
    print(f"{'':6} {'total':>9} {'per point':>10}")
    for label, seconds in rows:
        print(f"{label:6} {seconds:8.2f}s {1000 * seconds / points:8.2f}ms")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
