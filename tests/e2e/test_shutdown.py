"""SIGTERM (what `docker stop` sends) ends `pylon-gql serve` within seconds, whatever it is doing:
pre-rendering hot queries, a signed write waiting for finality, subscriptions replaying to a
client that does not read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import websockets

from .conftest import PATIENCE
from .hostile.server import Server, serve

TOKEN = "shutdown-validator-token"
#: `docker stop` sends SIGKILL 10 s after SIGTERM.
DOCKER_STOP_GRACE = 10.0
HEAVY = "{ metagraph { neurons { uid hotkey stake rank trust incentive lastUpdate } } }"


def gone(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie counts: its parent has not reaped it yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


async def exit_time(pid: int, since: float) -> float:
    """Seconds from `since` until process `pid` exited (polled: it is not our child to wait)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2 * DOCKER_STOP_GRACE):
            # Polled: no event tells another process's exit.
            while not gone(pid):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    return time.monotonic() - since


async def replays_to_nobody(server: Server, subscriptions: int) -> websockets.ClientConnection:
    """One connection whose subscriptions replay the blocks the server holds, never read."""
    ws = await websockets.connect(
        server.url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=1,
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    query = "subscription($f: Int) { newBlock(fromBlock: $f) { number epoch { index } } }"
    for i in range(subscriptions):
        payload = {"query": query, "variables": {"f": server.first_head + 1}}
        await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": payload}))
    return ws


@pytest.mark.parametrize("busy_with", ["pre-rendering and replays", "a write waiting to finalize"])
async def test_sigterm_ends_the_server_within_seconds(
    tmp_path_factory: pytest.TempPathFactory, busy_with: str
) -> None:
    env = {
        "PYLON_SIM_BLOCK_TIME": "0.5",
        "PYLON_VALIDATOR_TOKENS": TOKEN,
        "PYLON_RATE_LIMITS": "false",
    }
    async with (
        serve(tmp_path_factory.mktemp("shutdown"), **env) as server,
        httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as client,
    ):
        in_flight: asyncio.Task[httpx.Response] | None = None
        ws = None
        if busy_with == "pre-rendering and replays":
            for _ in range(2):  # asked twice at a head: pre-rendered at the next ones
                await client.post("/graphql", json={"query": HEAVY})
            await asyncio.sleep(1.5)
            ws = await replays_to_nobody(server, 50)
        else:
            headers = {"authorization": f"Bearer {TOKEN}"}
            write = {"query": 'mutation { setCommitment(data: "bye") { __typename } }'}
            in_flight = asyncio.create_task(client.post("/graphql", json=write, headers=headers))
        await asyncio.sleep(0.5)  # in the middle of it

        started = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)
        took = await exit_time(server.pid, started)

        if in_flight is not None:
            with contextlib.suppress(httpx.HTTPError):
                await in_flight
        if ws is not None:
            ws.transport.abort()
    log = server.log_text()
    print(f"\nSIGTERM while busy with {busy_with}: exited in {took:.2f} s")
    assert took < DOCKER_STOP_GRACE / 2, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
