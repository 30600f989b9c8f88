"""No token in the log: `pylon-gql serve` at DEBUG, sent tokens every way a client might (the
header, the URL, the websocket's handshake and `connection_init`), never prints one."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
import websockets

from pylon_gql.redaction import REVEAL, RedactSecrets, redact
from tests.e2e.conftest import PATIENCE, free_port

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))
VALIDATOR = "validator-secret-4f1d"
MADE_UP = "made-up-secret-9c2e"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('1.2.3.4:5 - "GET /graphql?query=x&token=s3cr3t HTTP/1.1" 200', "s3cr3t"),
        ('1.2.3.4:5 - "WebSocket /graphql?access_token=s3cr3t" [accepted]', "s3cr3t"),
        ('< TEXT \'{"type":"connection_init","payload":{"token":"s3cr3t"}}\'', "s3cr3t"),
        ('< TEXT \'...t":"s3cr3t"}}\' [90 bytes]', "s3cr3t"),  # a cut frame: no key left
        ("Authorization: Bearer s3cr3t", "s3cr3t"),
        ("{'authorization': 'Bearer s3cr3t'}", "s3cr3t"),
        ("{'token': 's3cr3t'}", "s3cr3t"),
    ],
)
def test_redact_removes_the_secret(line: str, secret: str) -> None:
    assert secret not in redact(line)


def test_redact_keeps_ordinary_lines() -> None:
    for line in (
        "following finalized heads from block 6852690",
        "PYLON_VALIDATOR_TOKENS is not set",
        "connected to wss://entrypoint-finney.opentensor.ai:443",
    ):
        assert redact(line) == line


def test_a_record_marked_reveal_is_kept() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "Bearer %s", ("dev",), None)
    assert RedactSecrets().filter(record) and record.getMessage() == "Bearer [redacted]"
    shown = logging.LogRecord("x", logging.WARNING, __file__, 1, "Bearer %s", ("dev",), None)
    setattr(shown, REVEAL, True)
    assert RedactSecrets().filter(shown) and shown.getMessage() == "Bearer dev"


async def _send_tokens_every_way(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with asyncio.timeout(PATIENCE):
            while True:
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        for token in (VALIDATOR, MADE_UP):
            query = {"query": "{ weights { epoch { start } } }"}
            await client.post("/graphql", json=query, headers={"authorization": f"Bearer {token}"})
            await client.get("/graphql", params={**query, "token": token})
            await client.post("/graphql", params={"access_token": token}, json=query)
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    for payload in ({"authorization": f"Bearer {VALIDATOR}"}, {"token": VALIDATOR}):
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
    async with websockets.connect(
        ws_url + f"?token={VALIDATOR}",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"authorization": f"Bearer {VALIDATOR}"},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"


async def test_serve_at_debug_logs_no_token(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")} | {
        "PYLON_PORT": str(port),
        "PYLON_NETUID": "2",
        "PYLON_LOG_LEVEL": "DEBUG",
        "PYLON_VALIDATOR_TOKENS": VALIDATOR,
        "PYLON_OWNER_TOKENS": "owner-secret-77aa",
    }
    process = await asyncio.create_subprocess_exec(
        PYLON_GQL,
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await _send_tokens_every_way(f"http://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(PATIENCE):
            output, _ = await process.communicate()
    log = output.decode()
    # The lines that would carry a token are there, without it.
    assert '"GET /graphql?[redacted] HTTP/1.1" 200' in log, log[-3000:]
    assert '"WebSocket /graphql?[redacted]"' in log, log[-3000:]
    assert "< TEXT [redacted]" in log, log[-3000:]  # the websockets library's DEBUG frames
    for secret in (VALIDATOR, MADE_UP, "owner-secret-77aa"):
        assert secret not in log
