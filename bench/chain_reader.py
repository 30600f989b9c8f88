"""How the chain layer serves a metagraph: prints a table (no assertions; run it by hand).

    uv run python bench/chain_reader.py

Over a real websocket to the simnet, run in its own process (`pylon-gql simnet --manual`) so
that its encoding does not share this event loop: a metagraph read through the ChainReader the
first time at a block (node call + SCALE decode + mapping, in a worker thread) and from the
block cache, and how long this event loop went without running while a cold read was going on.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import time

import websockets.asyncio.client

from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.reader import ChainReader
from pylon_gql.settings import Settings

ROUNDS = 8
CACHED_READS = 1000


class LoopLag:
    """The longest gap between ticks of a task that wants to run every millisecond."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    def _mark(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last)
        self._last = now

    async def _tick(self) -> None:
        while True:
            self._mark()
            await asyncio.sleep(0.001)

    def __enter__(self) -> LoopLag:
        self._last = time.perf_counter()
        self._task = asyncio.create_task(self._tick())
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._mark()
        self._task.cancel()


def _row(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"| {name:<48} | {statistics.median(ms):9.3f} | {max(ms):9.3f} | {len(ms):5d} |"


async def produce_block(url: str) -> None:
    async with websockets.asyncio.client.connect(url) as ws:
        request = {"jsonrpc": "2.0", "id": 1, "method": "simnet_produceBlocks", "params": [1]}
        await ws.send(json.dumps(request))
        await ws.recv()


async def start_simnet() -> tuple[asyncio.subprocess.Process, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = "from pylon_gql.cli import main; main()"
    command = ["-c", entry, "simnet", "--manual", "--finality-lag=0", f"--port={port}"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, stderr=asyncio.subprocess.DEVNULL
    )
    url = f"ws://127.0.0.1:{port}"
    for _ in range(200):
        try:
            async with websockets.asyncio.client.connect(url):
                return process, url
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the simnet did not start")


async def main() -> None:
    process, url = await start_simnet()
    try:
        started = time.perf_counter()
        client = ChainClient(url)
        await client.connect()
        connect = time.perf_counter() - started
        reader = ChainReader(client, Settings(netuid=1))  # type: ignore[call-arg]
        rows = []
        for netuid, size in ((1, 1024), (2, 256)):
            cold, lag, cached = [], [], []
            for _ in range(ROUNDS):
                await produce_block(url)
                ref = await client.finalized_head()
                with LoopLag() as loop_lag:
                    started = time.perf_counter()
                    await reader.metagraph(ref, netuid=netuid)
                    cold.append(time.perf_counter() - started)
                lag.append(loop_lag.worst)
                for _ in range(CACHED_READS // ROUNDS):
                    started = time.perf_counter()
                    await reader.metagraph(ref, netuid=netuid)
                    cached.append(time.perf_counter() - started)
            rows += [
                _row(f"subnet {netuid} ({size} neurons): first read at a block", cold),
                _row(f"subnet {netuid}: longest event-loop stall during it", lag),
                _row(f"subnet {netuid}: cached read", cached),
            ]
        await client.close()
    finally:
        process.terminate()
        await process.wait()
    print(f"connect + runtime metadata: {connect * 1000:.0f} ms\n")
    print(f"| {'metagraph through ChainReader':<48} | median ms | max ms    | n     |")
    print(f"| {'-' * 48} | {'-' * 9} | {'-' * 9} | {'-' * 5} |")
    print("\n".join(rows))


if __name__ == "__main__":
    asyncio.run(main())
