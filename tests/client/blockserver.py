"""A small graphql-transport-ws server with the `newBlock` contract, for the stream's own tests.

`subscription { newBlock(fromBlock: Int) { ... } }` over aiohttp websockets, and
`block(number)` over HTTP POST (the client fills gaps with it). A test produces blocks, drops
every connection, or makes the server misbehave (replay blocks already sent, ignore
`fromBlock`, refuse an old `fromBlock`) and checks what the client yields.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web

SUBPROTOCOL = "graphql-transport-ws"
GENESIS = datetime(2026, 1, 1, tzinfo=UTC)


def block_json(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "hash": f"0x{number:064x}",
        "parentHash": f"0x{number - 1:064x}",
        "timestamp": (GENESIS + timedelta(seconds=12 * number)).isoformat(),
    }


@dataclass
class BlockServer:
    url: str = ""
    head: int = 100
    #: Every `fromBlock` a subscription asked for, in order.
    subscriptions: list[int | None] = field(default_factory=list)
    #: The `Sec-WebSocket-Protocol` header of every websocket request.
    offered_subprotocols: list[str] = field(default_factory=list)
    pings_received: int = 0
    pongs_received: int = 0
    http_blocks: list[int | None] = field(default_factory=list)
    #: Misbehaviours: resend this many blocks before `fromBlock`; ignore `fromBlock`.
    replay: int = 0
    ignore_from_block: bool = False
    #: The oldest `fromBlock` the server replays (older: BAD_USER_INPUT, as pylon-gql does).
    oldest: int = 0
    #: Send a ping right after the ack.
    ping_first: bool = False
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def produce(self, count: int = 1) -> int:
        async with self._changed:
            self.head += count
            self._changed.notify_all()
        return self.head

    async def drop(self) -> None:
        """Cut every websocket connection, abruptly (no close frame)."""
        for ws in list(self._sockets):
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                transport.abort()
        self._sockets.clear()

    async def connections(self) -> int:
        return len(self._sockets)

    async def _stream(self, ws: web.WebSocketResponse, id: str, start: int) -> None:
        number = max(0, start - self.replay)
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: self.head >= number)  # noqa: B023
            while number <= self.head:
                payload = {"data": {"newBlock": block_json(number)}}
                await ws.send_str(json.dumps({"id": id, "type": "next", "payload": payload}))
                number += 1

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        self.offered_subprotocols.append(request.headers.get("Sec-WebSocket-Protocol", ""))
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
        await ws.prepare(request)
        self._sockets.add(ws)
        streams: list[asyncio.Task[None]] = []
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                kind = data.get("type")
                if kind == "connection_init":
                    await ws.send_str(json.dumps({"type": "connection_ack"}))
                    if self.ping_first:
                        await ws.send_str(json.dumps({"type": "ping"}))
                elif kind == "ping":
                    self.pings_received += 1
                    await ws.send_str(json.dumps({"type": "pong"}))
                elif kind == "pong":
                    self.pongs_received += 1
                elif kind == "subscribe":
                    variables = data["payload"].get("variables") or {}
                    from_block = variables.get("fromBlock")
                    self.subscriptions.append(from_block)
                    if from_block is not None and from_block < self.oldest:
                        error = {
                            "message": f"fromBlock {from_block} is too far behind the head",
                            "extensions": {"code": "BAD_USER_INPUT"},
                        }
                        await ws.send_str(
                            json.dumps({"id": data["id"], "type": "error", "payload": [error]})
                        )
                        continue
                    if from_block is not None and from_block > self.head + 1:
                        error = {
                            "message": f"block {from_block} is in the future",
                            "extensions": {"code": "BLOCK_IN_FUTURE", "head": self.head},
                        }
                        await ws.send_str(
                            json.dumps({"id": data["id"], "type": "error", "payload": [error]})
                        )
                        continue
                    # Where the stream starts is fixed when it is asked for, not when it runs.
                    start = self.head + 1
                    if from_block is not None and not self.ignore_from_block:
                        start = from_block
                    streams.append(asyncio.create_task(self._stream(ws, data["id"], start)))
                elif kind == "complete":
                    for task in streams:
                        task.cancel()
        finally:
            for task in streams:
                task.cancel()
            self._sockets.discard(ws)
        return ws

    async def graphql(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.websocket(request)
        body = await request.json()
        number = (body.get("variables") or {}).get("number")
        self.http_blocks.append(number)
        if not isinstance(number, int) or number > self.head:
            error = {"message": "unknown block", "extensions": {"code": "NOT_FOUND"}}
            return web.json_response({"data": None, "errors": [error]})
        return web.json_response({"data": {"block": block_json(number)}})


@contextlib.asynccontextmanager
async def block_server() -> AsyncIterator[BlockServer]:
    server = BlockServer()
    app = web.Application()
    app.router.add_route("*", "/graphql", server.graphql)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await server.drop()
        await runner.cleanup()
