"""How fast the server serves a cached metagraph, beside its own bytes served raw and beside
turbobt without a proxy. Prints tables (no assertions; numbers depend on the machine).

    uv run python bench/serving.py [--seconds 3]

Starts three processes: the simnet (`pylon-gql simnet --manual`, so the head stays put while a
cell is measured), the server (`pylon-gql serve`, PYLON_NETWORK=ws://127.0.0.1:<port>) and a
bare Starlette app that answers the server's bytes of (a) and (b) from memory (the limit). This
process drives the load: an aiohttp client against 127.0.0.1 only, each cell bounded by
`--seconds` and `MAX_REQUESTS`. Then: the cold latency of a historical metagraph, through the
server and with turbobt directly (each at a block nobody has read), and the server's memory
(VmRSS) after full metagraphs of 100 distinct blocks were asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import websockets.asyncio.client
from turbobt import Bittensor

CONCURRENCY = (1, 16, 64)
#: Most requests one cell makes, whatever `--seconds` says.
MAX_REQUESTS = 50_000
#: Blocks produced before the server starts: history for the cold and memory runs.
HISTORY_BLOCKS = 140
MEMORY_BLOCKS = 100
COLD_ROUNDS = 7
#: Slices each cell of (a) to (d) is cut in, interleaved with the other scenarios' slices.
SLICES = 3
ENTRY = "from pylon_gql.cli import main; main()"

EVERY_FIELD = """query Full($block: Int) { metagraph(block: $block) {
    block { number hash } neuronCount neurons {
    block { number } uid hotkey coldkey active validatorPermit stake stakeRao rank emission
    emissionRao incentive consensus trust validatorTrust dividends lastUpdate
    blocksSinceLastUpdate pruningScore axon { ip port ipType protocol version block }
    prometheus { ip port ipType version block } } } }"""
THREE_FIELDS = "query Three { metagraph { neurons { uid hotkey stake } } }"
ONE_NEURON = """query One($hotkey: String!) { neuron(hotkey: $hotkey) {
    uid hotkey coldkey stake incentive dividends lastUpdate axon { ip port } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the processes


async def spawn(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def wait_http(session: aiohttp.ClientSession, url: str) -> None:
    async with asyncio.timeout(120):
        while True:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def simnet_call(url: str, method: str, params: list[Any]) -> Any:
    async with websockets.asyncio.client.connect(url, max_size=2**24) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        return json.loads(await ws.recv())["result"]


def rss_mib(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


# --- load


@dataclass
class Cell:
    requests: int
    seconds: float
    latencies: list[float]

    def __add__(self, other: Cell) -> Cell:
        return Cell(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
        )

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def drive(call: Callable[[], Awaitable[None]], concurrency: int, seconds: float) -> Cell:
    """`concurrency` workers calling `call` back to back for `seconds` (and MAX_REQUESTS)."""
    for _ in range(min(concurrency, 4)):
        await call()  # warm
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def worker() -> None:
        while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
            began = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Cell(len(latencies), time.perf_counter() - started, latencies)


def poster(
    session: aiohttp.ClientSession, url: str, document: str, variables: dict[str, Any]
) -> Callable[[], Awaitable[None]]:
    body = json.dumps({"query": document, "variables": variables}).encode()
    headers = {"content-type": "application/json"}

    async def call() -> None:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: HTTP {response.status}")

    return call


# --- the bare Starlette server of (d)


def write_bodies(directory: Path, **bodies: bytes) -> None:
    directory.mkdir()
    for name, body in bodies.items():
        (directory / name).write_bytes(body)


def raw_server(port: int, directory: str) -> None:
    """Serve the files of `directory` from memory at POST /<name>: the limit of (a) and (b)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    bodies = {path.name: path.read_bytes() for path in Path(directory).iterdir()}

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(bodies[request.path_params["name"]], media_type="application/json")

    app = Starlette(routes=[Route("/{name}", answer, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


# --- the run


async def main(seconds: float) -> None:
    sim_port, server_port, raw_port = free_port(), free_port(), free_port()
    sim_url = f"ws://127.0.0.1:{sim_port}"
    server = f"http://127.0.0.1:{server_port}"
    raw = f"http://127.0.0.1:{raw_port}"
    processes: list[asyncio.subprocess.Process] = []
    data_dir = tempfile.mkdtemp(prefix="pylon-bench-")
    connector = aiohttp.TCPConnector(limit=max(CONCURRENCY))
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        try:
            processes.append(
                await spawn(
                    "-c",
                    ENTRY,
                    "simnet",
                    "--manual",
                    "--finality-lag=0",
                    f"--port={sim_port}",
                    "--log-level=WARNING",
                )
            )
            async with asyncio.timeout(120):
                while True:
                    try:
                        await simnet_call(sim_url, "simnet_info", [])
                        break
                    except OSError:
                        await asyncio.sleep(0.2)
            await simnet_call(sim_url, "simnet_produceBlocks", [HISTORY_BLOCKS])
            server_env = {
                "PYLON_NETWORK": sim_url,
                "PYLON_PORT": str(server_port),
                "PYLON_LOG_LEVEL": "WARNING",
                "PYLON_DATA_DIR": data_dir,
                # One address at 64 requests at once: the anonymous rate limit would measure
                # itself, not the server.
                "PYLON_RATE_LIMITS": "false",
            }
            server_process = await spawn("-c", ENTRY, "serve", env=server_env)
            processes.append(server_process)
            await wait_http(session, f"{server}/health")
            pid = server_process.pid
            rss_started, _ = rss_mib(pid)

            graphql = f"{server}/graphql"
            async with session.post(graphql, json={"query": EVERY_FIELD}) as response:
                full = await response.read()
            async with session.post(graphql, json={"query": THREE_FIELDS}) as response:
                three = await response.read()
            metagraph = json.loads(full)["data"]["metagraph"]
            head = metagraph["block"]["number"]
            hotkey = metagraph["neurons"][7]["hotkey"]
            write_bodies(Path(data_dir, "raw"), full=full, three=three)
            processes.append(
                await spawn(__file__, "--raw-server", str(raw_port), str(Path(data_dir, "raw")))
            )
            await wait_http(session, f"{server}/health")
            async with asyncio.timeout(60):
                while True:
                    try:
                        async with session.post(f"{raw}/full", data=b"{}") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)

            scenarios: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("(a) metagraph, every field", poster(session, graphql, EVERY_FIELD, {})),
                ("(b) metagraph, 3 fields", poster(session, graphql, THREE_FIELDS, {})),
                (
                    "(c) one neuron by hotkey",
                    poster(session, graphql, ONE_NEURON, {"hotkey": hotkey}),
                ),
                ("(d) bytes of (a), bare Starlette", poster(session, f"{raw}/full", "", {})),
                ("(d) bytes of (b), bare Starlette", poster(session, f"{raw}/three", "", {})),
            ]
            results: dict[tuple[str, int], Cell] = {}
            # Interleaved in slices, so that a (d) and the (a) or (b) it limits see the same
            # machine: it is shared, and its load drifts.
            for concurrency in CONCURRENCY:
                for _ in range(SLICES):
                    for name, call in scenarios:
                        cell = await drive(call, concurrency, seconds / SLICES)
                        earlier = results.get((name, concurrency))
                        results[name, concurrency] = cell if earlier is None else earlier + cell

            head_hash = metagraph["block"]["hash"]
            async with Bittensor(sim_url) as bt:
                subnet = bt.subnet(1)
                await subnet.list_neurons(block_hash=head_hash)  # runtime metadata, warm

                async def direct() -> None:
                    await subnet.list_neurons(block_hash=head_hash)

                name = "(e) turbobt list_neurons, no proxy"
                for concurrency in CONCURRENCY:
                    results[name, concurrency] = await drive(direct, concurrency, seconds)
                scenarios.append((name, direct))

                # Cold: each at a block nobody has read, alternating server and turbobt.
                cold_server, cold_direct = [], []
                for round_ in range(COLD_ROUNDS):
                    number = head - 1 - 2 * round_
                    started = time.perf_counter()
                    async with session.post(
                        graphql, json={"query": EVERY_FIELD, "variables": {"block": number}}
                    ) as response:
                        body = await response.read()
                    cold_server.append(time.perf_counter() - started)
                    assert b'"errors"' not in body, body[:300]
                    number -= 1
                    started = time.perf_counter()
                    block_hash = await bt.subtensor.chain.getBlockHash(number)
                    neurons = await subnet.list_neurons(block_hash=block_hash)
                    cold_direct.append(time.perf_counter() - started)
                    assert len(neurons) == 1024

            # Memory: full metagraphs of 100 distinct blocks (the chain reader keeps 128).
            for number in range(head - MEMORY_BLOCKS + 1, head + 1):
                async with session.post(
                    graphql, json={"query": EVERY_FIELD, "variables": {"block": number}}
                ) as response:
                    await response.read()
            rss, peak = rss_mib(pid)
            async with session.get(f"{server}/metrics") as response:
                exposed = await response.text()
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            for process in processes:
                await process.wait()
            shutil.rmtree(data_dir, ignore_errors=True)

    print(f"server: {server}, head {head}; (a) is {len(full):,} bytes, (b) {len(three):,} bytes")
    print(
        f"each cell: {seconds:g} s ((a) to (d) in {SLICES} interleaved slices) or "
        f"{MAX_REQUESTS} requests; 2 cores shared by all processes\n"
    )
    print(f"| {'what':<36} | {'c':>3} | {'req/s':>8} | {'p50 ms':>8} | {'p99 ms':>8} | {'n':>6} |")
    print(f"| {'-' * 36} | --: | {'-' * 7}: | {'-' * 7}: | {'-' * 7}: | {'-' * 5}: |")
    for name, _ in scenarios:
        for concurrency in CONCURRENCY:
            cell = results[name, concurrency]
            print(
                f"| {name:<36} | {concurrency:>3} | {cell.rate:>8.0f} | "
                f"{cell.percentile(0.5):>8.2f} | {cell.percentile(0.99):>8.2f} | "
                f"{cell.requests:>6} |"
            )
    print()
    names = [name for name, _ in scenarios]
    a, b, d_a, d_b, e = names[0], names[1], names[3], names[4], names[5]
    for concurrency in CONCURRENCY:
        rate = {n: results[n, concurrency].rate for n in names}
        print(
            f"c={concurrency:<3} (a)/(d of a) {rate[a] / rate[d_a]:6.1%}   "
            f"(b)/(d of b) {rate[b] / rate[d_b]:6.1%}   "
            f"(a)/(e) {rate[a] / rate[e]:6.1f}x   (b)/(e) {rate[b] / rate[e]:6.1f}x"
        )
    server_ms = statistics.median(cold_server) * 1000
    direct_ms = statistics.median(cold_direct) * 1000
    print(
        f"\ncold historical metagraph (every field, a block nobody read), median of "
        f"{COLD_ROUNDS}: server {server_ms:.0f} ms, turbobt direct {direct_ms:.0f} ms, "
        f"ratio {server_ms / direct_ms:.2f}x"
    )
    print(f"  server: {', '.join(f'{s * 1000:.0f}' for s in cold_server)} ms")
    print(f"  direct: {', '.join(f'{s * 1000:.0f}' for s in cold_direct)} ms")
    cached = [line for line in exposed.splitlines() if line.startswith("pylon_response_cache")]
    print(
        f"\nserver memory: {rss_started:.0f} MiB after start; {rss:.0f} MiB (peak {peak:.0f}) "
        f"after full metagraphs of {MEMORY_BLOCKS} blocks"
    )
    for line in cached:
        print(f"  {line}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--raw-server":
        raw_server(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="Length of each cell.")
    asyncio.run(main(parser.parse_args().seconds))
