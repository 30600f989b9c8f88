"""The bittensor SDK against the simnet, unmodified.

11.x is installed beside the server (turbobt depends on it), so it runs in the same process
and event loop as the simnet: no separate environment. One simnet per module, moved past the
snapshot so that //Bob holds a uid on subnet 1 and subnet 1's epoch has run once.

10.x pins what the server's environment cannot hold beside it: `sdk10` runs it in an
environment of its own (`uv run --isolated --with bittensor==10.5.0`, cached by uv), one
process per test session that imports it once and runs the scripts `sdk10_*.py` on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import bittensor
import pytest

from pylon_gql.simnet import Simnet, SimnetConfig

from ..conftest import SNAPSHOT, START_MS

# subnet 1 (tempo 99) runs its epoch at 6852697: produce past it
BLOCKS = 6852700 - SNAPSHOT


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        await sim.produce_blocks(BLOCKS)
        yield sim


@contextlib.asynccontextmanager
async def writing_simnet() -> AsyncIterator[Simnet]:
    """A simnet for the SDKs' writes: each write makes its block and the finality lag more, so
    the SDK's waits return; //Bob has taken uid 2 on subnet 1 (at 6852691)."""
    config = SimnetConfig(
        host="127.0.0.1",
        port=0,
        manual=True,
        auto_produce_on_submit=True,
        start_timestamp_ms=START_MS,
    )
    async with Simnet(config) as sim:
        await sim.produce_blocks(2)
        yield sim


@pytest.fixture(scope="module")
async def sdk(simnet: Simnet) -> AsyncIterator[bittensor.Client]:
    """The SDK's async client (what `async with bt.Subtensor(url)` gives)."""
    async with bittensor.Subtensor(simnet.url) as client:
        yield client


SDK10 = "bittensor==10.5.0"
HERE = Path(__file__).parent


class Sdk10:
    """The 10.x SDK's process (sdk10_runner.py): `run` hands it a script and a simnet URL."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path, version: str) -> None:
        self.process = process
        self.stderr = stderr
        self.version = version

    async def run(self, script: str, *args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"script": str(HERE / script), "args": list(args)}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        await self.process.stdin.drain()
        async with asyncio.timeout(90):
            while line := await self.process.stdout.readline():
                if line.startswith(b"SDK10 "):
                    answer: dict[str, Any] = json.loads(line[6:])
                    assert "exception" not in answer, answer["exception"]
                    return answer
        raise AssertionError(f"the 10.x process ended: {self.stderr.read_text()[-2000:]}")


@pytest.fixture(scope="session")
async def sdk10(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sdk10]:
    """bittensor 10.x in its own environment, imported once per session (about 8 s; the first
    run on a machine also downloads it)."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH: cannot make the 10.x environment")
    stderr = tmp_path_factory.mktemp("sdk10") / "stderr.txt"
    with stderr.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            uv, "run", "--isolated", "--no-project", "--quiet", "--with", SDK10,
            "python", str(HERE / "sdk10_runner.py"),
            cwd=HERE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=sink, limit=2**26,
        )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    ready = await asyncio.wait_for(process.stdout.readline(), timeout=110)
    if not ready.startswith(b"ready "):
        await process.wait()
        text = stderr.read_text()
        if "Failed to" in text and "bittensor" in text:
            pytest.skip(f"{SDK10} cannot be installed here: {text[-300:]}")
        raise AssertionError(f"the 10.x process did not start: {text[-2000:]}")
    yield Sdk10(process, stderr, ready.decode().split()[1])
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), timeout=10)
    except TimeoutError:
        process.kill()
        await process.wait()
