"""How fast the server serves kept answers, against the same bytes served raw: an honest bench.

    uv run --group dev python bench/serving.py [--seconds 2] [--rounds 5] [--peer DIR]

Processes, each its own: the simulated node (`pylon-gql simnet --manual`, so the head stays put
while cells run), the server (`pylon-gql serve` on it, rate limits off: one address at 64
connections would measure the limiter), the limit (bench/raw_app.py: the server's own answers,
body and headers as the server sent them, from memory in a bare ASGI app, on uvloop + httptools,
and again on asyncio + h11; `--bare-limit`: with the body's headers only), and the load
generator, wrk (installed from Debian's packages when missing; 127.0.0.1 only, one thread, each
run bounded by `--seconds`). Cells are interleaved: every round runs every cell against every
target, so drifting load on this shared machine falls on all of them alike. Per cell the table
gives the median over rounds and the range (min-max), of requests/s and of the server's CPU per
request (user + system time from /proc, over the requests wrk counted).

Then: the cold historical metagraph through the server against turbobt directly (alternating,
each at a block nobody has read), and the time from `pylon-gql serve` on the embedded simnet to
its first metagraph answer.

`--peer DIR`: the old REST bittensor-pylon as a peer cell, from a checkout of it in DIR with its
dependencies installed in DIR/.venv (git clone https://github.com/backend-developers-ltd/
bittensor-pylon DIR && cd DIR && uv sync); without it that cell is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from processes import PYLON_GQL, free_port, simnet_call, spawn, wait_until
from turbobt import Bittensor

CONCURRENCY = (1, 16, 64)
#: Blocks produced before the server starts: history for the cold run.
HISTORY_BLOCKS = 40
COLD_ROUNDS = 7
STARTUPS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")
RAW_APP = str(Path(__file__).with_name("raw_app.py"))

EVERY_FIELD = """query Full($block: Int) { metagraph(block: $block) {
    block { number hash } neuronCount neurons {
    block { number } uid hotkey coldkey active validatorPermit stake stakeRao rank emission
    emissionRao incentive consensus trust validatorTrust dividends lastUpdate
    blocksSinceLastUpdate pruningScore axon { ip port ipType protocol version block }
    prometheus { ip port ipType version block } } } }"""
THREE_FIELDS = "query Three { metagraph { neurons { uid hotkey stake } } }"
ONE_NEURON = """query One($hotkey: String!) { neuron(hotkey: $hotkey) {
    uid hotkey coldkey stake incentive dividends lastUpdate axon { ip port } } }"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package (apt-get install wrk)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


# --- the cells


@dataclass(frozen=True)
class Cell:
    """One kind of request, as the server gets it and as the limit gets it."""

    name: str
    method: str
    #: The server's path (with a GET's query string); the raw app answers `/<key>` + query.
    path: str
    key: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def script(self, directory: Path) -> Path:
        """wrk's Lua script for this cell."""
        lines = [f'wrk.method = "{self.method}"']
        if self.body:
            lines.append(f"wrk.body = {lua_string(self.body)}")
            lines.append('wrk.headers["Content-Type"] = "application/json"')
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[{lua_string(name.encode())}] = {lua_string(value.encode())}")
        path = directory / f"{self.key}.lua"
        path.write_text("\n".join(lines) + "\n")
        return path


def lua_string(value: bytes) -> str:
    return "'" + "".join(f"\\{b:03d}" for b in value) + "'"


def post_body(document: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": document, "variables": variables or {}}).encode()


@dataclass
class Run:
    rate: float
    requests: int
    p50_ms: float
    p99_ms: float
    cpu_us: float


WRK_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(\w+)")
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(binary: str, url: str, script: Path, concurrency: int, seconds: float, pid: int) -> Run:
    before = cpu_seconds(pid)
    output = subprocess.run(
        [
            binary,
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spent = cpu_seconds(pid) - before
    bad = WRK_BAD.search(output)
    if bad:
        raise RuntimeError(f"{url}: {bad.group(1)} answers were not 2xx/3xx\n{output}")
    requests = int(WRK_REQUESTS.search(output).group(1))  # type: ignore[union-attr]
    rate = float(WRK_RATE.search(output).group(1))  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    percentiles = {p: float(v) * scale[u] for p, v, u in WRK_PERCENTILE.findall(output)}
    return Run(rate, requests, percentiles["50"], percentiles["99"], spent / requests * 1e6)


#: Headers uvicorn writes itself (in the limit's answers too), or the raw app does.
OWN_HEADERS = frozenset({"date", "server", "content-length", "content-type"})
#: What the limit sends of the server's headers with `--bare-limit`: what the body needs.
BARE_HEADERS = frozenset({"content-encoding"})


def limit_headers(answer: httpx.Response, bare: bool) -> str:
    """The headers the limit answers a cell with (`raw_app.py`'s `.headers` file): the server's
    own, so that both send the same bytes (its request id is another, of the same length); with
    `bare`, only those the body needs (the entity tag of a 304)."""
    lines = []
    for name, value in answer.headers.multi_items():
        if name in OWN_HEADERS:
            continue
        if bare and name not in BARE_HEADERS and not (answer.status_code == 304 and name == "etag"):
            continue
        lines.append(f"{name}: {value}\n")
    return "".join(lines)


def summary(values: list[float], digits: int = 0) -> str:
    return (
        f"{statistics.median(values):,.{digits}f} "
        f"({min(values):,.{digits}f}-{max(values):,.{digits}f})"
    )


def percent(values: list[float]) -> str:
    return f"{statistics.median(values):.0%} ({min(values):.0%}-{max(values):.0%})"


# --- the run


async def main(
    seconds: float, rounds: int, peer: Path | None, startup: bool = True, bare: bool = False
) -> None:
    binary = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="pylon-bench-"))
    sim_port, server_port = free_port(), free_port()
    sim_url = f"ws://127.0.0.1:{sim_port}"
    server = f"http://127.0.0.1:{server_port}"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            spawn(
                PYLON_GQL,
                "simnet",
                "--manual",
                "--finality-lag=0",
                f"--port={sim_port}",
                "--log-level=WARNING",
            )
        )

        async def simnet_up() -> bool:
            await simnet_call(sim_url, "simnet_info", [])
            return True

        await wait_until(simnet_up, "the simnet")
        await simnet_call(sim_url, "simnet_produceBlocks", [HISTORY_BLOCKS])
        server_process = spawn(
            PYLON_GQL,
            "serve",
            env={
                "PYLON_NETWORK": sim_url,
                "PYLON_PORT": str(server_port),
                "PYLON_LOG_LEVEL": "WARNING",
                "PYLON_DATA_DIR": str(work / "data"),
                "PYLON_RATE_LIMITS": "false",
            },
        )
        processes.append(server_process)
        async with httpx.AsyncClient(base_url=server, timeout=120) as client:

            async def healthy() -> bool:
                return (await client.get("/health")).status_code == 200

            await wait_until(healthy, "the server")
            first = await client.post("/graphql", json={"query": EVERY_FIELD})
            metagraph = first.json()["data"]["metagraph"]
            head, head_hash = metagraph["block"]["number"], metagraph["block"]["hash"]
            hotkey = metagraph["neurons"][7]["hotkey"]
            pinned_query = urllib.parse.urlencode(
                {"query": EVERY_FIELD, "variables": json.dumps({"block": head})}
            )
            cells = [
                Cell("metagraph, every field", "POST", "/graphql", "full", post_body(EVERY_FIELD)),
                Cell("metagraph, 3 fields", "POST", "/graphql", "three", post_body(THREE_FIELDS)),
                Cell(
                    "one neuron by hotkey",
                    "POST",
                    "/graphql",
                    "one",
                    post_body(ONE_NEURON, {"hotkey": hotkey}),
                ),
                Cell(
                    "metagraph, every field, gzip",
                    "POST",
                    "/graphql",
                    "gzip",
                    post_body(EVERY_FIELD),
                    {"Accept-Encoding": "gzip"},
                ),
            ]
            # The limit's bytes: what the server answers each cell, as it sent them.
            raw_dir = work / "raw"
            raw_dir.mkdir()
            sizes: dict[str, int] = {}
            for cell in cells:
                answer, sent = None, b""
                for _ in range(2):  # the second is the kept answer, as wrk will get it
                    answer = await client.send(
                        client.build_request(
                            cell.method,
                            cell.path,
                            content=cell.body,
                            headers={
                                "content-type": "application/json",
                                "accept-encoding": "identity",
                                **cell.headers,
                            },
                        ),
                        stream=True,
                    )
                    sent = b"".join([chunk async for chunk in answer.aiter_raw()])
                    await answer.aclose()
                assert answer is not None
                assert answer.headers.get("x-pylon-cache") == "hit", (cell.name, answer.headers)
                (raw_dir / cell.key).write_bytes(sent)
                sizes[cell.key] = len(sent)
                (raw_dir / f"{cell.key}.headers").write_text(limit_headers(answer, bare))
            # A revalidation: a GET of a pinned metagraph with the ETag the client holds.
            pinned = await client.get(f"/graphql?{pinned_query}")
            pinned = await client.get(f"/graphql?{pinned_query}")
            etag = pinned.headers["etag"]
            revalidated = await client.get(
                f"/graphql?{pinned_query}", headers={"if-none-match": etag}
            )
            assert revalidated.status_code == 304, revalidated
            cells.append(
                Cell(
                    "304 revalidation (GET, If-None-Match)",
                    "GET",
                    f"/graphql?{pinned_query}",
                    "revalidate",
                    headers={"If-None-Match": etag},
                )
            )
            (raw_dir / "revalidate").write_bytes(b"")
            (raw_dir / "revalidate.status").write_text("304")
            (raw_dir / "revalidate.headers").write_text(limit_headers(revalidated, bare))
            sizes["revalidate"] = 0

            limits: dict[str, tuple[str, subprocess.Popen]] = {}
            for name, loop, http in (
                ("uvloop+httptools", "uvloop", "httptools"),
                ("asyncio+h11", "asyncio", "h11"),
            ):
                port = free_port()
                process = spawn(sys.executable, RAW_APP, str(port), str(raw_dir), loop, http)
                processes.append(process)
                limits[name] = (f"http://127.0.0.1:{port}", process)

                async def raw_up(url: str = limits[name][0]) -> bool:
                    return (await client.get(f"{url}/full")).status_code == 200

                await wait_until(raw_up, f"the raw app on {name}")

            scripts = {cell.key: cell.script(work) for cell in cells}
            targets = {"server": (server, server_process)} | limits
            runs: dict[tuple[str, str, int], list[Run]] = {}
            total = rounds * len(cells) * len(CONCURRENCY) * len(targets)
            print(
                f"{total} wrk runs of {seconds:g} s ({rounds} rounds, interleaved)...",
                file=sys.stderr,
            )
            for round_ in range(rounds):
                for concurrency in CONCURRENCY:
                    for cell in cells:
                        for target, (url, process) in targets.items():
                            path = cell.path if target == "server" else "/" + cell.key
                            if target != "server" and "?" in cell.path:
                                path += "?" + cell.path.split("?", 1)[1]
                            run = wrk(
                                binary,
                                url + path,
                                scripts[cell.key],
                                concurrency,
                                seconds,
                                process.pid,
                            )
                            runs.setdefault((cell.key, target, concurrency), []).append(run)
                print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr)

            cold_server, cold_direct = await cold(client, sim_url, head)
        peer_line = await peer_cell(peer, sim_url, binary, seconds) if peer else None
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            process.wait()
    startups = startup_times() if startup else []
    shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nhead {head} ({head_hash[:10]}...); answer bytes: "
        + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
    )
    print(
        f"wrk -t1, {seconds:g} s a run, {rounds} rounds interleaved; median (min-max) over "
        "rounds; CPU is the serving process's user+system time per request; the limit sends "
        + ("the body's headers only" if bare else "the server's headers")
        + "\n"
    )
    print(
        "| cell | c | server req/s | limit req/s (uvloop+httptools) | server/limit | "
        "server CPU us/req | limit CPU us/req | CPU ratio | h11 limit req/s | server p50 ms "
        "| server p99 ms |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for cell in cells:
        for concurrency in CONCURRENCY:
            ours = runs[cell.key, "server", concurrency]
            limit = runs[cell.key, "uvloop+httptools", concurrency]
            h11 = runs[cell.key, "asyncio+h11", concurrency]
            ratios = [o.rate / lim.rate for o, lim in zip(ours, limit, strict=True)]
            cpu_ratios = [o.cpu_us / lim.cpu_us for o, lim in zip(ours, limit, strict=True)]
            print(
                f"| {cell.name} | {concurrency} | {summary([r.rate for r in ours])} | "
                f"{summary([r.rate for r in limit])} | {percent(ratios)} | "
                f"{summary([r.cpu_us for r in ours])} | {summary([r.cpu_us for r in limit])} | "
                f"{summary(cpu_ratios, 2)}x | {summary([r.rate for r in h11])} | "
                f"{summary([r.p50_ms for r in ours], 2)} | {summary([r.p99_ms for r in ours], 2)} |"
            )
    if peer_line:
        print(f"\n{peer_line}")
    else:
        print("\npeer (old REST pylon): skipped (give --peer DIR, see this file's docstring)")
    ratios = [s / d for s, d in zip(cold_server, cold_direct, strict=True)]
    print(
        f"\ncold historical metagraph (every field, a block nobody read), {COLD_ROUNDS} rounds "
        f"alternating: server {summary([s * 1000 for s in cold_server])} ms, turbobt direct "
        f"{summary([s * 1000 for s in cold_direct])} ms, ratio {summary(ratios, 2)}x"
    )
    if startups:
        print(
            f"startup on the embedded simnet to the first metagraph answer, {STARTUPS} runs: "
            f"{summary(startups, 2)} s"
        )


async def cold(
    client: httpx.AsyncClient, sim_url: str, head: int
) -> tuple[list[float], list[float]]:
    """Each at a block nobody has read, alternating server and turbobt."""
    cold_server, cold_direct = [], []
    async with Bittensor(sim_url) as bt:
        subnet = bt.subnet(1)
        head_hash = await bt.subtensor.chain.getBlockHash(head)
        await subnet.list_neurons(block_hash=head_hash)  # runtime metadata, warm
        for round_ in range(COLD_ROUNDS):
            number = head - 2 - 2 * round_
            started = time.perf_counter()
            answer = await client.post(
                "/graphql", json={"query": EVERY_FIELD, "variables": {"block": number}}
            )
            cold_server.append(time.perf_counter() - started)
            assert "errors" not in answer.json(), answer.text[:300]
            started = time.perf_counter()
            block_hash = await bt.subtensor.chain.getBlockHash(number - 1)
            neurons = await subnet.list_neurons(block_hash=block_hash)
            cold_direct.append(time.perf_counter() - started)
            assert len(neurons) == 1024
    return cold_server, cold_direct


def startup_times() -> list[float]:
    """Seconds from `pylon-gql serve` (embedded simnet, a new data dir) to a metagraph."""
    times = []
    for _ in range(STARTUPS):
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="pylon-startup-") as data:
            started = time.perf_counter()
            process = spawn(
                PYLON_GQL,
                "serve",
                env={"PYLON_PORT": str(port), "PYLON_DATA_DIR": data, "PYLON_LOG_LEVEL": "WARNING"},
            )
            try:
                deadline = started + 120
                while time.perf_counter() < deadline:
                    try:
                        answer = httpx.post(
                            f"http://127.0.0.1:{port}/graphql",
                            json={"query": THREE_FIELDS},
                            timeout=10,
                        )
                        if answer.status_code == 200 and "errors" not in answer.json():
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.02)
                times.append(time.perf_counter() - started)
            finally:
                process.terminate()
                process.wait()
    return times


async def peer_cell(directory: Path, sim_url: str, binary: str, seconds: float) -> str:
    """The old REST pylon's metagraph at concurrency 16, beside the table above."""
    python = directory / ".venv" / "bin" / "python"
    if not python.exists():
        return f"peer: skipped ({python} not found: see this file's docstring)"
    port = free_port()
    wallets = Path(tempfile.mkdtemp(prefix="pylon-peer-"))
    process = spawn(
        str(python),
        "-m",
        "uvicorn",
        "pylon_service.main:app",
        "--port",
        str(port),
        env={
            "BITTENSOR_NETUID": "1",
            "BITTENSOR_NETWORK": sim_url,
            "BITTENSOR_WALLET_PATH": str(wallets),
            "PYLON_DB_URI": f"sqlite+aiosqlite:///{wallets}/pylon.db",
            "PYLON_DB_DIR": str(wallets),
        },
        cwd=str(directory),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # Its versions name the metagraph differently: one subnet per server (`BITTENSOR_NETUID`)
        # before October 2025, per-netuid paths since.
        paths = ("/latest_metagraph", "/api/v1/subnet/1/neurons/latest")
        found: list[str] = []
        async with httpx.AsyncClient(timeout=120) as client:

            async def up() -> bool:
                for path in paths:
                    if (await client.get(base + path)).status_code == 200:
                        found.append(base + path)
                        return True
                return False

            await wait_until(up, "the old REST pylon", within=120)
        url = found[0]
        script = wallets / "get.lua"
        script.write_text('wrk.method = "GET"\n')
        run = wrk(binary, url, script, 16, seconds, process.pid)
        return (
            f"peer: old REST pylon GET {url.removeprefix(base)} at c=16: {run.rate:,.0f} req/s, "
            f"{run.cpu_us:,.0f} us CPU/request, p50 {run.p50_ms:.2f} ms"
        )
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as error:
        return f"peer: failed ({error})"
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(wallets, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=2, help="Length of each wrk run (whole seconds)."
    )
    parser.add_argument("--rounds", type=int, default=5, help="Interleaved rounds (at least 5).")
    parser.add_argument("--peer", type=Path, help="A checkout of the old REST bittensor-pylon.")
    parser.add_argument("--no-startup", action="store_true", help="Skip the startup measurement.")
    parser.add_argument(
        "--bare-limit",
        action="store_true",
        help="The limit sends the body's headers only, not the server's (ETag, Cache-Control, "
        "Vary, x-pylon-cache, x-request-id): the first runs' yardstick.",
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.seconds,
            arguments.rounds,
            arguments.peer,
            not arguments.no_startup,
            arguments.bare_limit,
        )
    )
