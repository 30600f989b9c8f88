"""`pylon-gql serve` in a subprocess, its resident memory, its log, and a /health probe.

A subprocess, so that the RSS measured is the server's alone; the probe is another, so that a
blocked event loop of the server shows as its latency, and a pause of the test's own does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..conftest import PATIENCE, free_port

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))
#: Seconds between two /health requests of the probe.
PROBE_EVERY = 0.02
PROBE = Path(__file__).with_name("probe_health.py")


@dataclass
class Server:
    url: str
    pid: int
    log: Path
    first_head: int

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def tracebacks(self) -> int:
        return self.log_text().count("Traceback")


@contextlib.asynccontextmanager
async def serve(tmp: Path, **env: str) -> AsyncIterator[Server]:
    """The server on its embedded simnet with default limits, plus `env` (PYLON_* settings)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYLON_")} | {
        "PYLON_PORT": str(port),
        "PYLON_DATA_DIR": str(tmp / "data"),
        **env,
    }
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            PYLON_GQL, "serve", cwd=tmp, env=environment, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            async with asyncio.timeout(PATIENCE):
                while True:
                    if process.returncode is not None:
                        raise AssertionError(log.read_text(errors="replace")[-3000:])
                    with contextlib.suppress(httpx.TransportError):
                        response = await client.get("/health")
                        if response.status_code == 200:
                            break
                    await asyncio.sleep(0.1)
        yield Server(url, process.pid, log, response.json()["head"]["number"])
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(20):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


@dataclass
class Probe:
    """GET /health every `PROBE_EVERY` s while running, from a process of its own
    (`probe_health.py`): the slowest answer's latency, and the failures."""

    url: str
    worst: float = 0.0
    failures: list[str] = field(default_factory=list)
    _process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Probe:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PROBE),
            self.url,
            str(PROBE_EVERY),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(PATIENCE):
            assert await self._process.stdout.readline() == b"started\n"
        await asyncio.sleep(PROBE_EVERY)
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        # The request in flight ends first: a loop still blocked after the attack counts too.
        await asyncio.sleep(2 * PROBE_EVERY)
        process.stdin.close()
        async with asyncio.timeout(PATIENCE):
            found = json.loads(await process.stdout.readline())
            await process.wait()
        self.worst, self.failures = found["worst"], found["failures"]
