"""Websocket clients that stop reading, and frames too big: each connection dropped on its
own, everything it held given back, one log line and no traceback.

Each test runs a second app over the session's services (see `test_subscriptions.Borrowed`),
with its own websocket settings, so the hub's subscriber count shows what a drop gave back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from pylon_gql.events import NewBlock

from .conftest import PATIENCE, Served, running, settings_for
from .test_subscriptions import (
    FAT_BLOCK,
    FAT_LIMITS,
    TRANSPORT_WS,
    Borrowed,
    announced,
    finalize,
    simnet_of,
    wait_until,
)

#: A plain block, a few hundred bytes: what the kernel's socket buffers take many of.
BLOCK = "subscription($from: Int) { newBlock(fromBlock: $from) { number hash parentHash } }"
#: Blocks each subscription replays from `fromBlock`.
REPLAYED = 20
#: What a dropped connection may log: this module's one line, nothing of strawberry's or
#: uvicorn's (their tracebacks are what a stalled client used to leave, one per operation).
WATCHED = ("pylon_gql.http.websocket", "strawberry", "uvicorn.error", "asyncio")


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def drops(self) -> list[str]:
        return [r.getMessage() for r in self.records if "dropping its connection" in r.getMessage()]

    def tracebacks(self) -> list[str]:
        return [
            r.getMessage()
            for r in self.records
            if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
        ]


@contextlib.contextmanager
def recorded() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in WATCHED]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextlib.asynccontextmanager
async def app(
    served: Served, uvicorn_options: dict[str, Any], **settings: Any
) -> AsyncIterator[str]:
    config = settings_for(network="sim", **settings)
    async with running(config, Borrowed(served.services), **uvicorn_options) as url:  # type: ignore[arg-type]
        yield url.replace("http://", "ws://") + "/graphql"


async def stalled(url: str, query: str, from_block: int, subscriptions: int) -> ClientConnection:
    """A client that subscribes, then reads nothing: a small receive buffer that fills up."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    ws = await websockets.connect(
        url,
        sock=sock,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        max_queue=1,
        ping_interval=None,  # nor does it answer pings: it reads nothing
        compression=None,
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    for i in range(subscriptions):
        payload = {"query": query, "variables": {"from": from_block}}
        await ws.send(json.dumps({"id": f"s{i}", "type": "subscribe", "payload": payload}))
    return ws


async def replayable(served: Served) -> int:
    """A block `REPLAYED` blocks behind the announced head; the blocks are made once (the
    follower takes about a second a block to warm its cache), the head only moves on."""
    head = announced(served)
    if not _history:
        head = await finalize(simnet_of(served), REPLAYED)
        await wait_until(lambda: announced(served) >= head, "the follower")
        _history.append(head)
    return head - REPLAYED + 1


#: The head once `REPLAYED` blocks were made for these tests.
_history: list[int] = []


async def drop_stalled_clients(
    served: Served, url: str, query: str, clients: int, per_client: int, *, each_logs: bool = True
) -> Records:
    """Connect `clients` stalled clients; return once the hub has forgotten all they held
    (and, when `each_logs`, once each has logged its drop)."""
    hub = served.services.hub
    from_block = await replayable(served)
    baseline = hub.subscribers(NewBlock)
    connections: list[ClientConnection] = []
    with recorded() as records:
        try:
            for _ in range(clients):
                connections.append(await stalled(url, query, from_block, per_client))
            # Every subscription taken (or a drop logged). Without a line per drop, uvicorn's
            # ping may end a connection before all of its subscriptions started (they start
            # one a loop turn): then some having started is what there is to wait for.
            await wait_until(
                lambda: (
                    hub.subscribers(NewBlock) == baseline + clients * per_client
                    or bool(records.drops())
                    or (not each_logs and hub.subscribers(NewBlock) > baseline)
                ),
                "the subscriptions",
            )
            if each_logs:
                await wait_until(lambda: len(records.drops()) >= clients, "a line per client")
            else:
                await asyncio.sleep(3)  # some ping periods: every connection had its end
            await wait_until(lambda: hub.subscribers(NewBlock) == baseline, "the drops")
            await asyncio.sleep(0.5)  # whatever else a drop would log
        finally:
            for ws in connections:
                ws.transport.abort()
    return records


async def test_replayed_subscriptions_of_a_client_that_stops_reading_end_at_the_send_timeout(
    served: Served,
) -> None:
    # 30 kB blocks: the replay alone (12 MB a client) fills the socket buffers, so the sends
    # wait (and no ping goes unanswered before: the keep-alive is the default 15 s); far below
    # the lag limit, so only the send timeout can end these subscriptions.
    async with app(served, {}, ws_send_timeout=0.5, subscriber_max_lag=1000, **FAT_LIMITS) as url:
        records = await drop_stalled_clients(served, url, FAT_BLOCK, clients=3, per_client=20)
    assert len(records.drops()) == 3, records.drops()
    assert all("read nothing for 0.5 s" in line for line in records.drops()), records.drops()
    assert records.tracebacks() == []


async def test_a_connection_uvicorn_closes_under_its_subscriptions_is_dropped_quietly(
    served: Served,
) -> None:
    # Small blocks fit in the kernel's buffers, so no send waits long: uvicorn's websocket
    # ping, which a client that reads nothing never answers, is what ends the connection,
    # without telling the app; the next send (a keep-alive ping here) finds it closed.
    ping = {"ws_ping_interval": 0.3, "ws_ping_timeout": 0.3}
    async with app(
        served, ping, ws_send_timeout=60, ws_keep_alive_interval=0.2, subscriber_max_lag=1000
    ) as url:
        records = await drop_stalled_clients(
            served, url, BLOCK, clients=3, per_client=100, each_logs=False
        )
    # A connection uvicorn could close at once (nothing left in its buffer) ends as if the
    # client left: nothing to log. One it could not is dropped at its next send: one line.
    assert len(records.drops()) <= 3, records.drops()
    assert all("already closed" in line for line in records.drops()), records.drops()
    assert records.tracebacks() == []


async def test_a_frame_over_the_limit_closes_the_connection_with_1009(served: Served) -> None:
    async with app(served, {}, ws_max_message_bytes=64 * 1024) as url:
        with recorded() as records:
            async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
                await ws.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                # Under the limit: an answer.
                payload = {"query": "{ head { number } }", "variables": {"pad": "x" * 60_000}}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                assert json.loads(await ws.recv())["type"] == "next"
                # Over it: the connection ends, the server never parsed the frame.
                payload["variables"] = {"pad": "x" * 70_000}
                await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": payload}))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    async with asyncio.timeout(10):
                        while True:
                            await ws.recv()
            await asyncio.sleep(0.2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert records.tracebacks() == []


async def test_a_client_that_answers_no_ping_is_dropped_after_the_send_timeout(
    served: Served,
) -> None:
    # Small blocks: the kernel takes them all and no send waits, so only the unanswered
    # graphql-transport-ws ping shows that this client reads nothing.
    async with app(
        served, {}, ws_send_timeout=1.0, ws_keep_alive_interval=0.2, subscriber_max_lag=1000
    ) as url:
        records = await drop_stalled_clients(served, url, BLOCK, clients=3, per_client=100)
    assert len(records.drops()) == 3, records.drops()
    assert all("answered no ping for 1 s" in line for line in records.drops()), records.drops()
    assert records.tracebacks() == []


async def test_a_client_that_answers_its_pings_stays(served: Served) -> None:
    async with app(served, {}, ws_send_timeout=0.3, ws_keep_alive_interval=0.1) as url:
        with recorded() as records:
            async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
                await ws.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                pings = 0
                async with asyncio.timeout(PATIENCE):
                    while pings < 10:  # about three send timeouts
                        assert json.loads(await ws.recv()) == {"type": "ping"}
                        await ws.send(json.dumps({"type": "pong"}))
                        pings += 1
                payload = {"query": "{ head { number } }"}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
                async with asyncio.timeout(PATIENCE):
                    while (message := json.loads(await ws.recv()))["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                assert message["type"] == "next", message
    assert records.drops() == []
