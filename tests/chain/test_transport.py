"""NodeConnection against a tiny scripted websocket server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import pytest
from websockets.asyncio.server import ServerConnection, serve

from pylon_gql.chain.transport import ConnectionLost, NodeConnection

Handler = Callable[[ServerConnection, dict[str, Any]], Awaitable[None]]


class Request(NamedTuple):
    method: str
    params: Any


@pytest.fixture
async def node() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a server whose every request goes to `handler`; returns its URL."""
    servers = []

    async def start(handler: Handler) -> str:
        async def connection(websocket: ServerConnection) -> None:
            async for message in websocket:
                await handler(websocket, json.loads(message))

        server = await serve(connection, "127.0.0.1", 0)
        servers.append(server)
        port = next(iter(server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_a_notification_sent_before_the_queue_exists_is_kept(node) -> None:
    async def handler(websocket: ServerConnection, request: dict[str, Any]) -> None:
        # The first head overtakes the subscription id: nobody has a queue for it yet.
        notification = {"subscription": "s1", "result": {"number": "0x10"}}
        await websocket.send(json.dumps({"jsonrpc": "2.0", "method": "x", "params": notification}))
        await websocket.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "s1"}))

    async with NodeConnection(await node(handler)) as connection:
        reply = await connection.send(Request("chain_subscribeFinalizedHeads", []))
        queue = connection.subscribe(reply.result)

        assert queue.get_nowait() == {"number": "0x10"}


async def test_a_clean_close_fails_calls_in_flight_and_subscriptions(node) -> None:
    async def handler(websocket: ServerConnection, request: dict[str, Any]) -> None:
        if request["method"] == "subscribe":
            await websocket.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "s"}))
        else:
            await websocket.close()  # code 1000: no error, just gone

    async with NodeConnection(await node(handler)) as connection:
        subscription = connection.subscribe(
            (await connection.send(Request("subscribe", []))).result
        )
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(connection.send(Request("anything", [])), timeout=5)

        assert isinstance(await asyncio.wait_for(subscription.get(), timeout=5), ConnectionLost)
        assert not connection.connected


async def test_it_reconnects_on_the_next_call(node) -> None:
    calls = 0

    async def handler(websocket: ServerConnection, request: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await websocket.close()
            return
        await websocket.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": 7}))

    async with NodeConnection(await node(handler)) as connection:
        with pytest.raises(ConnectionLost):
            await connection.send(Request("first", []))
        reply = await connection.send(Request("second", []))

    assert reply.result == 7 and reply.error is None


async def test_an_error_answer_is_returned_not_raised(node) -> None:
    async def handler(websocket: ServerConnection, request: dict[str, Any]) -> None:
        error = {"code": 4003, "message": "State already discarded"}
        await websocket.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": error}))

    async with NodeConnection(await node(handler)) as connection:
        reply = await connection.send(Request("state_call", {}))

    assert reply.result is None
    assert reply.error == {"code": 4003, "message": "State already discarded"}


async def test_a_closed_connection_refuses_calls() -> None:
    connection = NodeConnection("ws://127.0.0.1:9")
    await connection.close()

    with pytest.raises(ConnectionLost):
        await connection.send(Request("anything", []))


async def test_a_node_is_unreachable_while_no_connection_to_it_opens() -> None:
    connection = NodeConnection(f"ws://127.0.0.1:{closed_port()}", open_timeout=5)
    opened: list[int] = []
    connection.on_connect(lambda: opened.append(1))
    try:
        for _ in range(2):
            with pytest.raises(OSError):
                await connection.send(Request("anything", []))
        assert connection.unreachable_since is not None and not opened
    finally:
        await connection.close()


async def test_a_dropped_connection_that_opens_again_is_not_unreachable(node) -> None:
    calls = 0

    async def handler(websocket: ServerConnection, request: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await websocket.close()
            return
        await websocket.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": 7}))

    opened: list[int] = []
    async with NodeConnection(await node(handler)) as connection:
        connection.on_connect(lambda: opened.append(1))
        with pytest.raises(ConnectionLost):
            await connection.send(Request("first", []))
        assert (await connection.send(Request("second", []))).result == 7

        assert connection.unreachable_since is None
        assert len(opened) == 2  # each opening is told (the follower looks at the node then)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
