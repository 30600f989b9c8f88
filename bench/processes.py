"""What the benches that run the server as a process share: a free port, a quiet child
process, waiting for one to answer, and a call to a simnet's control (or node) methods.

The benches run as scripts (`python bench/serving.py`), so their directory is on the path and
they import this module by its name.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import websockets.asyncio.client

#: The `pylon-gql` command of the interpreter running the bench (its virtual environment's).
PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spawn(
    *args: str, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    """`args` as a child process with `env` added to this one's, its output discarded (a
    bench's table is the only thing it prints)."""
    return subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_until(probe: Callable[[], Awaitable[bool]], what: str, within: float = 180) -> None:
    """Ask `probe` every 0.1 s until it says yes (a refused connection is a no)."""
    async with asyncio.timeout(within):
        while True:
            try:
                if await probe():
                    return
            except (OSError, httpx.HTTPError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


async def simnet_call(url: str, method: str, params: list[Any]) -> Any:
    """One JSON-RPC call to the node at `url` (a `simnet_*` control method, or any other)."""
    async with websockets.asyncio.client.connect(url, max_size=2**24) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        return json.loads(await ws.recv())["result"]
