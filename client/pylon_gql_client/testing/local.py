"""A local pylon-gql on its simulated chain, in a subprocess, for validators' tests.

Needs the server package (`pip install pylon-gql`); it is run, never imported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass

from ..client import AsyncPylonClient
from ..errors import PylonError
from ..sync import PylonClient

#: The server started as `python -c ...` so that it is the same interpreter as the caller's.
SERVE = ["-c", "from pylon_gql.cli import main; main()", "serve"]


def server_installed() -> bool:
    """Whether `pylon_gql` (the server) can be run from this interpreter."""
    return importlib.util.find_spec("pylon_gql") is not None


def _server_path() -> str | None:
    """The directory `pylon_gql` is imported from, for the subprocess's PYTHONPATH (it runs in a
    temporary directory, so a server found through the current directory is found there too)."""
    spec = importlib.util.find_spec("pylon_gql")
    if spec is None or spec.origin is None:
        return None
    return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    """A running `pylon-gql serve` (`url`, its `process`, and its log file)."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: str

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as file:
            return file.read()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def _serving(
    block_time: float, env: Mapping[str, str] | None, startup_timeout: float
) -> Iterator[LocalServer]:
    if not server_installed():
        raise PylonError(
            "a local server needs the pylon-gql package in this environment: pip install pylon-gql"
        )
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pylon-gql-") as workdir:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PYLON_")}
        environment |= {
            "PYLON_NETWORK": "sim",
            "PYLON_HOST": "127.0.0.1",
            "PYLON_PORT": str(port),
            "PYLON_SIM_BLOCK_TIME": str(block_time),
            "PYLON_DATA_DIR": workdir,
            "PYLON_LOG_LEVEL": "WARNING",
            # A test suite makes many calls from one address: no rate limits unless asked.
            "PYLON_RATE_LIMITS": "false",
            **(env or {}),
        }
        server_path = _server_path()
        if server_path is not None:
            paths = [server_path, environment.get("PYTHONPATH", "")]
            environment["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        log_path = os.path.join(workdir, "server.log")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, *SERVE],
                cwd=workdir,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = LocalServer(f"http://127.0.0.1:{port}", process, log_path)
        try:
            deadline = time.monotonic() + startup_timeout
            while not _healthy(server.url):
                if process.poll() is not None:
                    raise PylonError(
                        f"pylon-gql serve exited ({process.returncode}):\n{server.log()}"
                    )
                if time.monotonic() > deadline:
                    raise PylonError(
                        f"pylon-gql not healthy after {startup_timeout} s:\n{server.log()}"
                    )
                time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.asynccontextmanager
async def local_server(
    *,
    block_time: float = 1.0,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    token: str | None = None,
) -> AsyncIterator[AsyncPylonClient]:
    """Start `pylon-gql serve` on its simulated chain (a block every `block_time` seconds) on a
    free port, wait until `/health` is 200, and yield a client connected to it; stop it after.
    `env`: extra PYLON_* settings."""
    stack = contextlib.ExitStack()
    server = await asyncio.to_thread(
        stack.enter_context, _serving(block_time, env, startup_timeout)
    )
    try:
        async with AsyncPylonClient(server.url, token) as client:
            yield client
    finally:
        await asyncio.to_thread(stack.close)


@contextlib.contextmanager
def local_server_sync(
    *,
    block_time: float = 1.0,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    token: str | None = None,
) -> Iterator[PylonClient]:
    """`local_server`, for blocking code: yields a `PylonClient`."""
    with (
        _serving(block_time, env, startup_timeout) as server,
        PylonClient(server.url, token) as client,
    ):
        yield client
