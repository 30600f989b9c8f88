"""A node provider's key in PYLON_NETWORK (`ws://user:KEY@host/v1/KEY`) never shows: not in
/health, the follower's `lastError`, an `UNAVAILABLE` error's message, nor any line of
`pylon-gql serve`'s log at DEBUG, while the node fails every way it can (busy, dropping
connections, stalling, down). The simnet, reached over a real websocket through such a URL,
ignores the path and the user info, as a provider's gateway would check them."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE
from .hostile.server import serve

KEY = "pk9Xq2Lr7Tz4Wm1Vb8Nc"
CREDENTIALS = base64.b64encode(f"pylon:{KEY}".encode()).decode()  # the Basic header's
TOKEN = "validator-token-3f9e1c"
BLOCK = "query ($b: Int) { block(number: $b) { hash } hyperparameters(block: $b) { tempo } }"


async def until(check: Any) -> Any:
    async with asyncio.timeout(PATIENCE):
        while not (found := await check()):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    return found


async def test_a_key_in_the_node_url_shows_nowhere(tmp_path: Path) -> None:
    shown: list[str] = []  # every answer's body
    simnet = Simnet(SimnetConfig(port=0, manual=True, finality_lag=0))
    await simnet.start()
    try:
        url = f"ws://pylon:{KEY}@127.0.0.1:{simnet.port}/v1/{KEY}"
        async with (
            serve(
                tmp_path,
                PYLON_NETWORK=url,
                PYLON_LOG_LEVEL="DEBUG",
                PYLON_CHAIN_TIMEOUT="2",
                PYLON_VALIDATOR_TOKENS=TOKEN,
            ) as server,
            httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as client,
        ):

            async def get(path: str) -> httpx.Response:
                response = await client.get(path, headers={"authorization": f"Bearer {TOKEN}"})
                shown.append(response.text)
                return response

            async def errors_at(block: int) -> list[str]:
                response = await client.post(
                    "/graphql", json={"query": BLOCK, "variables": {"b": block}}
                )
                shown.append(response.text)
                return [e["message"] for e in response.json().get("errors", [])]

            health = (await get("/health")).json()
            assert health["network"] == f"ws://***@127.0.0.1:{simnet.port}/v1/***"
            # A subscription's token at DEBUG (the frame log): redacted as before.
            ws_url = server.url.replace("http", "ws", 1) + "/graphql"
            async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                init = {"type": "connection_init", "payload": {"authorization": f"Bearer {TOKEN}"}}
                await ws.send(json.dumps(init))
                assert json.loads(await ws.recv())["type"] == "connection_ack"

            old = server.first_head - 20  # not in the cache: every read goes to the node
            simnet.set_faults(error_rate=1.0)  # busy, retried, then UNAVAILABLE
            busy = await errors_at(old)
            assert busy and all("***" in message for message in busy), busy
            simnet.set_faults(drop_every=1)  # every request's connection dropped
            dropped = await errors_at(old - 1)
            assert dropped and all("***" in message for message in dropped), dropped
            simnet.set_faults(stall=True)  # no answer at all
            stalled = await errors_at(old - 2)
            assert stalled and all("***" in message for message in stalled), stalled
            # The follower fails at the next head: its lastError names the node.
            await simnet.produce_blocks(1)

            async def follower_failed() -> dict[str, Any] | None:
                follower = (await get("/health")).json()["follower"]
                return follower if follower["lastError"] else None

            follower = await until(follower_failed)
            assert "***" in follower["lastError"], follower
            simnet.set_faults()
            await simnet.stop()  # the node goes down: connections refused

            async def unreachable() -> bool:
                return (await get("/health")).json()["status"] == "unreachable"

            await until(unreachable)
            down = await errors_at(old - 3)
            assert down and all("***" in message for message in down), down
            # A signed write to the node that is down: the transport's error names the URL.
            write = await client.post(
                "/graphql",
                json={"query": 'mutation { setCommitment(data: "x") { __typename } }'},
                headers={"authorization": f"Bearer {TOKEN}"},
            )
            shown.append(write.text)
            assert "errors" in write.json() or "Unavailable" in write.text, write.text
            await get("/metrics")
    finally:
        await simnet.stop()
    log = server.log_text()
    assert f"ws://***@127.0.0.1:{simnet.port}/v1/***" in log  # the URL is logged, redacted
    assert "< TEXT [redacted]" in log  # the DEBUG frame log is on
    for text, where in [*((body, "a response") for body in shown), (log, "the log")]:
        for secret in (KEY, CREDENTIALS, TOKEN):
            assert secret not in text, (
                f"{secret} in {where}: " + text[text.find(secret) - 300 :][:600]
            )
