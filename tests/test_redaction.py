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

from pylon_gql.redaction import REVEAL, RedactSecrets, redact, redact_url
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


KEY = "Kx9fA0b1c2d3e4f5g6h7"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"ws://pylon:{KEY}@node.example:9944/v1/{KEY}", "ws://***@node.example:9944/v1/***"),
        (f"wss://{KEY}@node.example", "wss://***@node.example"),
        ("wss://node.example/rpc/0a1b2c3d4e5f", "wss://node.example/rpc/***"),  # hex
        (
            "wss://node.example/123e4567-e89b-12d3-a456-426614174000/ws",  # a UUID
            "wss://node.example/***/ws",
        ),
        ("wss://node.example/ws?apikey=s3cr3t#x", "wss://node.example/ws?***"),
        ("wss://node.example/abcdefghijklmnopqrstuvwxyz", "wss://node.example/***"),
        # Kept: no secret in them.
        ("wss://entrypoint-finney.opentensor.ai:443", "wss://entrypoint-finney.opentensor.ai:443"),
        ("ws://127.0.0.1:9944", "ws://127.0.0.1:9944"),
        ("wss://node.example/v1/subtensor-mainnet-archive", None),
        ("wss://node.example/public/ws", None),
        ("finney", None),
        ("sqlite:///tmp/test_a_key_in_the_url0/data/pylon.sqlite3", None),  # a file's path
        (f"postgres://pylon:{KEY}@db.example/pylon", "postgres://***@db.example/pylon"),
    ],
)
def test_redact_url(url: str, shown: str | None) -> None:
    assert redact_url(url) == (url if shown is None else shown)


@pytest.mark.parametrize(
    "line",
    [
        f"following ws://pylon:{KEY}@127.0.0.1:9944/v1/{KEY} (subnet 1)",
        f"connection to ws://pylon:{KEY}@h:1/v1/{KEY}: closed.",  # punctuation after it
        f"<Task pending name='node-reader ws://pylon:{KEY}@h:1/v1/{KEY}'>",
        f"> GET /v1/{KEY} HTTP/1.1",  # the websockets library's handshake at DEBUG
        "> Authorization: Basic cHlsb246S3g5ZkEwYjFjMmQzZTRmNWc2aDc=",  # base64 of user:KEY
        f"{{'Authorization': 'Basic {KEY}'}}",
    ],
)
def test_redact_removes_node_url_secrets(line: str) -> None:
    cleaned = redact(line)
    assert KEY not in cleaned and "cHlsb246S3g5ZkEwYjFjMmQzZTRmNWc2aDc" not in cleaned, cleaned


def test_redact_keeps_ordinary_lines() -> None:
    for line in (
        "following finalized heads from block 6852690",
        "PYLON_VALIDATOR_TOKENS is not set",
        "connected to wss://entrypoint-finney.opentensor.ai:443",
        "basic checks passed",
        "the node's finalized chain no longer holds the head #5 0x1234abcd5678ef90",
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
    # Into a file, not a pipe: at DEBUG the start alone writes more than a pipe holds, and an
    # unread pipe would stall the server's logging (and so the server) until the test ends.
    log_file = tmp_path / "serve.log"
    with log_file.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            PYLON_GQL,
            "serve",
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await _send_tokens_every_way(f"http://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(PATIENCE):
            await process.wait()
    log = log_file.read_text()
    # The lines that would carry a token are there, without it.
    assert '"GET /graphql?[redacted] HTTP/1.1" 200' in log, log[-3000:]
    assert '"WebSocket /graphql?[redacted]"' in log, log[-3000:]
    assert "< TEXT [redacted]" in log, log[-3000:]  # the websockets library's DEBUG frames
    for secret in (VALIDATOR, MADE_UP, "owner-secret-77aa"):
        assert secret not in log
