"""Websocket protocol errors and admission, against the app served by uvicorn on the simnet.

Reads are closed here (`PYLON_READER_TOKENS` set): an anonymous `connection_init` is refused,
and a connection holds a slot of `PYLON_WS_MAX_CONNECTIONS` only once acknowledged. Every
malformed frame closes its connection with the protocol's code (graphql-transport-ws) or is
answered with an `error` (graphql-ws), with one log line and no traceback, and the server goes
on serving other connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig
from tests.e2e.conftest import PATIENCE, running, settings_for, wait_for_health
from tests.e2e.test_subscriptions import Borrowed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
READER = "reader-secret"
VALIDATOR = "validator-secret"
READER_INIT = {"authorization": f"Bearer {READER}"}
QUERY = "query Probe { head { number } }"
NEW_BLOCK = "subscription($from: Int) { newBlock(fromBlock: $from) { number } }"


@pytest.fixture(scope="module")
async def services() -> AsyncIterator[Services]:
    """The server on a manual simnet, reads closed. Uvicorn's logging is left unconfigured
    (`log_config=None`), so its records reach the root logger and caplog."""
    settings = settings_for(network="sim", reader_tokens=READER, validator_tokens=VALIDATOR)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services, log_config=None) as base,
        httpx.AsyncClient(base_url=base, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        services.url = base  # type: ignore[attr-defined]
        yield services


@pytest.fixture
def url(services: Services) -> str:
    return services.url.replace("http://", "ws://") + "/graphql"  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def connect(url: str, subprotocol: str) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(url, subprotocols=[subprotocol]) as ws:  # type: ignore[list-item]
        yield ws


@contextlib.asynccontextmanager
async def acked(url: str, subprotocol: str) -> AsyncIterator[ClientConnection]:
    """A connection through `connection_init` with the reader's token."""
    async with connect(url, subprotocol) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": READER_INIT}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    async with asyncio.timeout(PATIENCE):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") not in ("ping", "ka"):
                return message


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(PATIENCE):
            while True:
                await ws.recv()
    return ws.close_code, ws.close_reason


async def head_number(url: str) -> int:
    """The head, asked over another connection (so: that one is acked and answered)."""
    async with acked(url, TRANSPORT_WS) as ws:
        await ws.send(json.dumps({"id": "p", "type": "subscribe", "payload": {"query": QUERY}}))
        answer = await next_message(ws)
    assert answer["type"] == "next", answer
    return answer["payload"]["data"]["head"]["number"]


async def still_serves(url: str) -> None:
    assert await head_number(url) > 0


def assert_logged_once_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    refusals = [r for r in caplog.records if "sent an invalid" in r.getMessage()]
    assert len(refusals) == 1, caplog.text


# --- graphql-transport-ws: an invalid message closes with 4400 and a reason


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("[1, 2]", id="array"),
        pytest.param("5", id="number"),
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps({"id": {"a": 1}, "type": "subscribe"}), id="object-id"),
        pytest.param(
            json.dumps({"id": 7, "type": "subscribe", "payload": {"query": QUERY}}),
            id="number-id",
        ),
        pytest.param(json.dumps({"id": "1", "type": "subscribe"}), id="no-payload"),
        pytest.param(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 5}}),
            id="query-not-a-string",
        ),
        pytest.param(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": [1]}}
            ),
            id="variables-a-list",
        ),
        pytest.param(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "operationName": 5}}
            ),
            id="operation-name-a-number",
        ),
        pytest.param(json.dumps({"id": ["x"], "type": "complete"}), id="complete-list-id"),
        pytest.param(json.dumps({"type": "ping", "payload": [1]}), id="ping-list-payload"),
    ],
)
async def test_an_invalid_transport_ws_message_closes_with_4400(
    url: str, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with acked(url, TRANSPORT_WS) as ws:
        await ws.send(frame)
        code, reason = await closed_with(ws)
    assert code == 4400
    assert reason
    await still_serves(url)
    assert_logged_once_without_traceback(caplog)


async def test_an_unknown_message_type_closes_with_a_short_reason(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A close reason holds at most 123 bytes: a long client-chosen type is cut, not a crash."""
    caplog.set_level(logging.INFO)
    async with acked(url, TRANSPORT_WS) as ws:
        await ws.send(json.dumps({"type": "x" * 500}))
        code, reason = await closed_with(ws)
    assert code == 4400
    assert reason is not None and 0 < len(reason.encode()) <= 123
    await still_serves(url)
    assert_logged_once_without_traceback(caplog)


# --- graphql-ws: a malformed `start` is answered with an `error` for its operation


@pytest.mark.parametrize(
    "start",
    [
        pytest.param({"id": "1", "type": "start"}, id="no-payload"),
        pytest.param(
            {"id": "1", "type": "start", "payload": {"query": QUERY, "variables": [1]}},
            id="variables-a-list",
        ),
        pytest.param(
            {"id": "1", "type": "start", "payload": {"query": QUERY, "operationName": 5}},
            id="operation-name-a-number",
        ),
        pytest.param({"id": "1", "type": "start", "payload": {"query": 5}}, id="query-a-number"),
    ],
)
async def test_a_malformed_legacy_start_answers_an_error_for_its_operation(
    url: str, start: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with acked(url, LEGACY_WS) as ws:
        await ws.send(json.dumps(start))
        answer = await next_message(ws)
        assert answer["type"] == "error" and answer["id"] == "1", answer
        assert answer["payload"]["extensions"] == {"code": "BAD_REQUEST"}
        # The connection goes on: the same id, well formed, is served (graphql-ws carries
        # subscriptions only, here).
        head = await head_number(url)
        replay = {"query": NEW_BLOCK, "variables": {"from": head}}
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": replay}))
        data = await next_message(ws)
        assert data["type"] == "data", data
        assert data["payload"]["data"]["newBlock"]["number"] == head, data
    await still_serves(url)
    assert_logged_once_without_traceback(caplog)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("[1, 2]", id="array"),
        pytest.param("5", id="number"),
        pytest.param(
            json.dumps({"id": {"a": 1}, "type": "start", "payload": {"query": QUERY}}),
            id="object-id",
        ),
        pytest.param(json.dumps({"type": "stop"}), id="stop-without-id"),
    ],
)
async def test_a_legacy_frame_with_no_operation_to_blame_closes_the_connection(
    url: str, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with acked(url, LEGACY_WS) as ws:
        await ws.send(frame)
        assert (await next_message(ws))["type"] == "connection_error"
        code, _ = await closed_with(ws)
    assert code == 1002
    await still_serves(url)
    assert_logged_once_without_traceback(caplog)


# --- admission: reads closed


@pytest.mark.parametrize("init", [None, {}, {"token": ""}])
async def test_an_anonymous_connection_init_is_refused_when_reads_are_closed(
    url: str, init: dict[str, Any] | None
) -> None:
    message: dict[str, Any] = {"type": "connection_init"}
    if init is not None:
        message["payload"] = init
    async with connect(url, TRANSPORT_WS) as ws:
        await ws.send(json.dumps(message))
        code, reason = await closed_with(ws)
    assert (code, reason) == (4403, "Forbidden")
    async with connect(url, LEGACY_WS) as ws:
        await ws.send(json.dumps(message))
        refusal = await next_message(ws)
        assert refusal["type"] == "connection_error", refusal
        assert "PYLON_READER_TOKENS" in refusal["payload"]["message"]
        await closed_with(ws)


@pytest.mark.parametrize(
    "payload", [READER_INIT, {"token": READER}, {"authorization": f"Bearer {VALIDATOR}"}]
)
async def test_a_connection_init_with_a_token_is_acked_when_reads_are_closed(
    url: str, payload: dict[str, str]
) -> None:
    async with connect(url, TRANSPORT_WS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert (await next_message(ws))["type"] == "connection_ack"


async def test_a_token_in_the_handshake_is_enough(url: str) -> None:
    async with websockets.connect(
        url,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        additional_headers={"authorization": f"Bearer {READER}"},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await next_message(ws))["type"] == "connection_ack"


@contextlib.asynccontextmanager
async def limited(services: Services, max_connections: int) -> AsyncIterator[str]:
    """A second app over the same chain with its own connection limit; its websocket URL."""
    settings = settings_for(network="sim", reader_tokens=READER, ws_max_connections=max_connections)
    async with running(settings, Borrowed(services), log_config=None) as base:  # type: ignore[arg-type]
        yield base.replace("http://", "ws://") + "/graphql"


async def test_connections_that_never_initialise_cannot_hold_every_slot(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood of connections that never send `connection_init` (or are refused there) holds
    no slot a reader with a token needs: the oldest pending one is closed to make room."""
    caplog.set_level(logging.INFO)
    async with limited(services, max_connections=3) as url, contextlib.AsyncExitStack() as stack:
        idle = [await stack.enter_async_context(connect(url, TRANSPORT_WS)) for _ in range(10)]
        anonymous = []
        for _ in range(5):
            ws = await stack.enter_async_context(connect(url, TRANSPORT_WS))
            await ws.send(json.dumps({"type": "connection_init"}))
            anonymous.append(ws)
        for ws in anonymous:
            assert (await closed_with(ws))[0] == 4403
        readers = [await stack.enter_async_context(acked(url, TRANSPORT_WS)) for _ in range(3)]
        assert len(readers) == 3
        # The idle ones were closed to make room, the oldest first, as if they had timed out.
        assert (await closed_with(idle[0]))[0] == 4408
        # With 3 readers acked, the server is full: a fourth reader waits for a free slot.
        async with connect(url, TRANSPORT_WS) as fourth:
            assert (await closed_with(fourth))[0] == 1013
    assert "Traceback" not in caplog.text


async def test_a_query_over_graphql_ws_is_refused_with_a_pointer(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """graphql-ws carries subscriptions only: a query or mutation there is a BAD_REQUEST error
    for its operation that says where to send it, not an internal error with a traceback."""
    caplog.set_level(logging.INFO)
    async with acked(url, LEGACY_WS) as ws:
        await ws.send(json.dumps({"id": "q", "type": "start", "payload": {"query": QUERY}}))
        answer = await next_message(ws)
        assert answer["type"] == "error" and answer["id"] == "q", answer
        assert answer["payload"]["extensions"] == {"code": "BAD_REQUEST"}, answer
        assert "subscription" in answer["payload"]["message"], answer
    await still_serves(url)
    assert "Traceback" not in caplog.text
