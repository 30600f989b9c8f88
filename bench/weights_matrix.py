"""How large a full weights matrix is, and how fast the server serves it: prints tables (no
assertions; run it by hand, about two minutes).

    uv run --group dev python bench/weights_matrix.py   # --no-http: the in-process parts only

The simnet runs in its own process with full weight rows (`--weights-per-validator 4096`: each
validator weights every miner, as finney's do): subnet 1 is the recorded 1024-neuron subnet
(12 validators with permits), subnet 2 a synthetic 1024-neuron subnet with 256 validators (the
issue's large case). For each:

- its size: rows, entries, the bytes kept per block (`array('H')` pairs), the JSON answer and
  its gzip;
- the chain layer: `ChainReader.chain_matrix` at a new block (one `state_queryStorageAt` of
  every uid's key, decoded with `pylon_gql.scale`) and from its cache;
- the GraphQL execution of `chainWeights { uid weights { uid weight } }` in process, from the
  reader's cache: with the compiled completion (`schema/execution.py`) and with graphql-core's
  own field-by-field completion;
- over HTTP (`pylon-gql serve`, one per subnet): cold (a block nobody read: chain read,
  decode, execution, encoding), with the matrix in the reader's cache but not the answer (another
  document text), and answered from the response cache.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from processes import PYLON_GQL, free_port, simnet_call, spawn, wait_until

from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.reader import ChainReader
from pylon_gql.chain.runtime_types import twox128
from pylon_gql.gc_tuning import GC_THRESHOLDS
from pylon_gql.models import BlockRef
from pylon_gql.models_metagraph import MatrixKind
from pylon_gql.schema import ROOT_QUERY, Context, PylonSchema, _config, create_schema
from pylon_gql.schema.mutations import Mutation
from pylon_gql.settings import Settings

ROUNDS = 5
TOKEN = "bench-token"
DOCUMENT = (
    "query ($b: Int) { metagraph(block: $b) { chainWeights { uid weights { uid weight } } } }"
)
#: The same data under another key (the response cache keys on the printed document, so
#: whitespace would not do): the response cache misses, the reader's cache hits.
OTHER_TEXT = DOCUMENT.replace("weights {", "w: weights {")


def ms(samples: list[float]) -> str:
    values = sorted(s * 1000 for s in samples)
    return f"{statistics.median(values):8.1f} ({values[0]:.1f}-{values[-1]:.1f})"


async def new_block(url: str, netuid: int) -> tuple[int, str, float]:
    """A new block, with the simnet's storage of the subnet's weights made ready (it encodes
    every row of the block's `Weights` on the first read of one: a real node reads its trie);
    its number, hash, and how long the simnet took to make the map."""
    await simnet_call(url, "simnet_produceBlocks", [1])
    head = (await simnet_call(url, "simnet_info", []))["finalized"]
    key = "0x" + (twox128(b"SubtensorModule") + twox128(b"Weights")).hex()
    key += netuid.to_bytes(2, "little").hex() + (0).to_bytes(2, "little").hex()
    started = time.perf_counter()
    await simnet_call(url, "state_getStorage", [key, head["hash"]])
    return int(head["number"]), head["hash"], time.perf_counter() - started


async def chain_layer(url: str, netuid: int) -> tuple[list[str], ChainReader]:
    client = ChainClient(url)
    await client.connect()
    reader = ChainReader(client, Settings(_env_file=None, netuid=netuid))  # type: ignore[call-arg]
    cold, cached, simnet_map = [], [], []
    matrix = None
    for _ in range(ROUNDS):
        number, block_hash, took = await new_block(url, netuid)
        simnet_map.append(took)
        ref = BlockRef(number, block_hash)
        reader.set_head(ref)
        await reader.metagraph(ref)  # the matrix's size comes from it: not what is timed
        started = time.perf_counter()
        matrix = await reader.chain_matrix(ref, MatrixKind.WEIGHTS)
        cold.append(time.perf_counter() - started)
        for _ in range(20):
            started = time.perf_counter()
            await reader.chain_matrix(ref, MatrixKind.WEIGHTS)
            cached.append(time.perf_counter() - started)
    assert matrix is not None
    kept = sum(row.uids.itemsize * len(row.uids) * 2 for row in matrix.rows)
    lines = [
        f"| subnet {netuid} | rows | {len(matrix.rows)} |",
        f"| subnet {netuid} | entries | {matrix.entries:,} |",
        f"| subnet {netuid} | bytes kept per block (u16 pairs) | {kept:,} |",
        f"| subnet {netuid} | (the simnet making its Weights map for a block, ms) | "
        f"{ms(simnet_map)} |",
        f"| subnet {netuid} | chain read (1 request, every uid's key) + decode (ms) | {ms(cold)} |",
        f"| subnet {netuid} | chain_matrix from the reader's cache (ms) | {ms(cached)} |",
    ]
    return lines, reader


async def execution(reader: ChainReader, netuid: int) -> list[str]:
    """The GraphQL execution alone, from the reader's cache, compiled and graphql-core's."""
    settings = Settings(_env_file=None, netuid=netuid, max_cost_anonymous=10**9)  # type: ignore[call-arg]
    compiled = create_schema(settings)
    plain = PylonSchema(query=ROOT_QUERY, mutation=Mutation, config=_config())
    head = reader.head
    assert head is not None
    lines = []
    size = 0
    for name, schema in (("compiled completion", compiled), ("graphql-core completion", plain)):
        samples = []
        gc.set_threshold(*GC_THRESHOLDS)  # the server's (`gc_tuning.py`)
        for _ in range(ROUNDS):
            context = Context(settings=settings, reader=reader, request_id="bench")
            started = time.perf_counter()
            result = await schema.execute(
                DOCUMENT, variable_values={"b": head.number}, context_value=context
            )
            body = orjson.dumps({"data": result.data})
            samples.append(time.perf_counter() - started)
            assert not result.errors, result.errors
            size = len(body)
        lines.append(f"| subnet {netuid} | execute + encode, {name} (ms) | {ms(samples)} |")
    return [
        *lines,
        f"| subnet {netuid} | JSON answer (bytes) | {size:,} |",
    ]


async def over_http(sim_url: str, netuid: int, work: Path) -> list[str]:
    port = free_port()
    server = spawn(
        PYLON_GQL,
        "serve",
        env={
            "PYLON_NETWORK": sim_url,
            "PYLON_NETUID": str(netuid),
            "PYLON_PORT": str(port),
            "PYLON_LOG_LEVEL": "WARNING",
            "PYLON_DATA_DIR": str(work / f"data{netuid}"),
            "PYLON_RATE_LIMITS": "false",
            "PYLON_AUTO_COMMIT": "false",
            "PYLON_READER_TOKENS": TOKEN,
        },
    )
    headers = {"authorization": f"Bearer {TOKEN}", "accept-encoding": "gzip"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=120, headers=headers
        ) as client:

            async def healthy() -> bool:
                return (await client.get("/health")).status_code == 200

            await wait_until(healthy, "the server")
            cold, warm, hit = [], [], []
            wire = plain = 0
            for _ in range(ROUNDS):
                number, _, _ = await new_block(sim_url, netuid)
                body = {"query": DOCUMENT, "variables": {"b": number}}

                async def post(payload: dict[str, Any]) -> httpx.Response:
                    for _ in range(100):  # until the server follows the new block
                        answer = await client.post("/graphql", json=payload)
                        if "BLOCK_IN_FUTURE" not in answer.text:
                            return answer
                        await asyncio.sleep(0.05)
                    raise RuntimeError("the server did not follow the new block")

                started = time.perf_counter()
                answer = await post(body)
                cold.append(time.perf_counter() - started)
                assert answer.json()["data"], answer.text[:300]
                wire, plain = answer.num_bytes_downloaded, len(answer.content)
                started = time.perf_counter()
                await post({**body, "query": OTHER_TEXT})
                warm.append(time.perf_counter() - started)
                for _ in range(5):
                    started = time.perf_counter()
                    again = await post(body)
                    hit.append(time.perf_counter() - started)
                    assert again.headers.get("x-pylon-cache") == "hit", again.headers
    finally:
        server.terminate()
        server.wait()
    return [
        f"| subnet {netuid} | HTTP answer, JSON / gzipped (bytes) | {plain:,} / {wire:,} |",
        f"| subnet {netuid} | HTTP, cold: a block nobody read (ms) | {ms(cold)} |",
        f"| subnet {netuid} | HTTP, matrix cached, answer not (ms) | {ms(warm)} |",
        f"| subnet {netuid} | HTTP, response-cache hit (ms) | {ms(hit)} |",
    ]


async def main(http: bool = True) -> None:
    work = Path(tempfile.mkdtemp(prefix="pylon-matrix-"))
    port = free_port()
    sim_url = f"ws://127.0.0.1:{port}"
    simnet = spawn(
        PYLON_GQL,
        "simnet",
        "--manual",
        "--finality-lag=0",
        f"--port={port}",
        "--log-level=WARNING",
        "--synthetic-neurons=1024",
        "--synthetic-validators=256",
        "--weights-per-validator=4096",
    )
    rows = []
    try:

        async def simnet_up() -> bool:
            await simnet_call(sim_url, "simnet_info", [])
            return True

        await wait_until(simnet_up, "the simnet")
        for netuid in (1, 2):
            lines, reader = await chain_layer(sim_url, netuid)
            rows += lines
            rows += await execution(reader, netuid)
            if http:
                rows += await over_http(sim_url, netuid, work)
    finally:
        simnet.terminate()
        simnet.wait()
    print("| subnet | what (median of 5 rounds, range) | value |")
    print("| --- | --- | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main(http="--no-http" not in sys.argv))
