"""How long a `history` series takes over HTTP, cold and warm: prints a table (no assertions).

    uv run --group dev python bench/history.py [--points 500] [--rounds 3]

Processes, each its own: an archive simnet (`pylon-gql simnet --manual --archive`), and two
servers on it (`pylon-gql serve`, a validator token, rate limits off): one on the defaults
(PYLON_CACHE_BLOCKS=128, so a 500-point series does not fit the per-block cache) and one whose
per-block cache holds a whole series (PYLON_CACHE_BLOCKS = points + 16). The client here only
sends requests and waits.

Every round, for each server in turn, on a range of `points` blocks nobody has read:
- cold: `history(netuid: 1, ...)` of 1024-neuron subnet 1, a few fields of 4 validators per
  point (every point a runtime call and a SCALE decode, 8 at a time);
- again: the same request (the response cache's answer);
- other fields: another selection over the same range (the reader's per-block cache, where it
  holds the blocks).
Per cell: the median over rounds and the range (min-max). Then each server's peak resident
memory (VmHWM), which the series' metagraphs would dominate were they all held at once
(about 1.3 MB each).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from processes import PYLON_GQL, free_port, simnet_call, spawn, wait_until

TOKEN = "bench-validator-token"

COLD = """query ($f: Int!, $t: Int!) { history(netuid: 1, fromBlock: $f, toBlock: $t) {
  block { number } neuronCount
  neurons(where: {validatorPermit: true}, orderBy: {field: STAKE, direction: DESC}, first: 4) {
    uid stake trust lastUpdate } } }"""
OTHER = """query ($f: Int!, $t: Int!) { history(netuid: 1, fromBlock: $f, toBlock: $t) {
  block { number }
  neurons(where: {uids: [0, 1, 2, 3]}) { uid emission incentive dividends } } }"""


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.2f} s ({min(values):.2f}-{max(values):.2f})"


async def timed(client: httpx.AsyncClient, document: str, first: int, points: int) -> float:
    began = time.perf_counter()
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": {"f": first, "t": first + points - 1}},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    seconds = time.perf_counter() - began
    answer = response.json()
    if response.status_code != 200 or "errors" in answer:
        raise RuntimeError(f"history failed: {response.status_code} {response.text[:500]}")
    if len(answer["data"]["history"]) != points:
        raise RuntimeError("history answered the wrong number of points")
    return seconds


async def main(points: int, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="pylon-history-bench-"))
    sim_port = free_port()
    sim_url = f"ws://127.0.0.1:{sim_port}"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            spawn(
                PYLON_GQL,
                "simnet",
                "--manual",
                "--archive",
                "--finality-lag=0",
                f"--port={sim_port}",
                "--log-level=WARNING",
            )
        )

        async def simnet_up() -> bool:
            await simnet_call(sim_url, "simnet_info", [])
            return True

        await wait_until(simnet_up, "the simnet")
        info = await simnet_call(sim_url, "simnet_info", [])
        start = int(info["finalized"]["number"]) + 1
        servers = {"defaults": {}, "cache holds the series": {"PYLON_CACHE_BLOCKS": points + 16}}
        blocks = points * rounds * len(servers) + 2
        began = time.perf_counter()
        while blocks > 0:
            await simnet_call(sim_url, "simnet_produceBlocks", [min(blocks, 200)])
            blocks -= 200
        made = time.perf_counter() - began
        urls: dict[str, str] = {}
        pids: dict[str, int] = {}
        for name, extra in servers.items():
            port = free_port()
            process = spawn(
                PYLON_GQL,
                "serve",
                env={
                    "PYLON_NETWORK": sim_url,
                    "PYLON_PORT": str(port),
                    "PYLON_LOG_LEVEL": "WARNING",
                    "PYLON_DATA_DIR": str(work / name.replace(" ", "-")),
                    "PYLON_RATE_LIMITS": "false",
                    "PYLON_VALIDATOR_TOKENS": TOKEN,
                    "PYLON_MAX_HISTORY_POINTS": str(points),
                    **{key: str(value) for key, value in extra.items()},
                },
            )
            processes.append(process)
            urls[name], pids[name] = f"http://127.0.0.1:{port}", process.pid
        cells: dict[tuple[str, str], list[float]] = {}
        async with httpx.AsyncClient(timeout=600) as client:
            for name, url in urls.items():

                async def healthy(url: str = url) -> bool:
                    return (await client.get(f"{url}/health")).status_code == 200

                await wait_until(healthy, name)
            rss_before = {name: peak_rss_mb(pid) for name, pid in pids.items()}
            first = start
            for _ in range(rounds):
                for name, url in urls.items():  # interleaved: each round runs every server
                    client.base_url = httpx.URL(url)
                    for label, document in (("cold", COLD), ("again", COLD), ("other", OTHER)):
                        seconds = await timed(client, document, first, points)
                        cells.setdefault((name, label), []).append(seconds)
                    first += points
        print(
            f"history of {points} points of subnet 1 (1024 neurons), {rounds} rounds; "
            f"{points * rounds * len(servers)} blocks made in {made:.1f} s"
        )
        print(f"{'server':24} {'cell':12} {'median (min-max)':>24} {'per point':>10}")
        for (name, label), values in cells.items():
            per_point = 1000 * statistics.median(values) / points
            print(f"{name:24} {label:12} {summary(values):>24} {per_point:8.2f}ms")
        for name, pid in pids.items():
            print(
                f"{name}: peak resident memory {rss_before[name]:.0f} MB after start, "
                f"{peak_rss_mb(pid):.0f} MB after the rounds"
            )
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="How long a `history` series takes over HTTP.")
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.points, arguments.rounds))
