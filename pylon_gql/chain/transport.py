"""A JSON-RPC websocket connection to a subtensor node, given to turbobt as its transport.

turbobt's own websocket transport has three habits a long-running server cannot live with: a
call in flight when the connection drops waits for its read timeout instead of failing, a clean
close from the node is not reported to subscriptions at all, and messages above 1 MiB (a big
metagraph) are refused. This one fails every pending call and every subscription as soon as the
connection ends, and reconnects on the next call. It speaks turbobt's transport protocol
(`send`, `subscribe`, `unsubscribe`, `close`) by duck typing, so it imports nothing from turbobt.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple

import websockets
import websockets.asyncio.client
from cachetools import FIFOCache
from websockets.asyncio.client import ClientConnection

from ..redaction import redact_url

logger = logging.getLogger(__name__)

#: A metagraph of thousands of neurons is several MiB of hex.
MAX_MESSAGE_BYTES = 64 * 2**20
#: Notifications kept for a subscription id nobody has claimed yet (the node may send the
#: first one before the caller has registered its queue).
UNCLAIMED_NOTIFICATIONS = 16


class ConnectionLost(ConnectionError):
    """The connection to the node ended; calls in flight and subscriptions on it are void."""


class Reply(NamedTuple):
    """turbobt's `Response` shape: the request, and either a result or a JSON-RPC error."""

    request: Any
    result: Any
    error: dict[str, Any] | None = None


class NodeConnection:
    def __init__(self, url: str, *, open_timeout: float = 15.0) -> None:
        self.url = url
        #: The URL as messages show it: a node provider's key in it stays out.
        self.shown = redact_url(url)
        self.open_timeout = open_timeout
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connect_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._subscriptions: dict[str, asyncio.Queue[Any]] = {}
        #: Notifications that came before their subscription was claimed; the oldest
        #: subscriptions' go first.
        self._unclaimed: FIFOCache[str, list[Any]] = FIFOCache(UNCLAIMED_NOTIFICATIONS)
        self._closed = False
        #: Since when (monotonic) every attempt to open a connection has failed; None once
        #: one opens. A connection the node drops is not this: the next call opens another.
        self.unreachable_since: float | None = None
        #: Called each time a connection opens (the follower: the node is back, look now).
        self._on_connect: list[Callable[[], None]] = []

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def on_connect(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time a connection to the node opens."""
        self._on_connect.append(callback)

    async def __aenter__(self) -> NodeConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        await self.close()

    async def send(self, request: Any) -> Reply:
        connection = await self._connect()
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message = {"jsonrpc": "2.0", "id": request_id, "method": request.method}
        message["params"] = request.params
        try:
            await connection.send(json.dumps(message))
            answer = await future
        except websockets.ConnectionClosed as exc:
            raise ConnectionLost(f"connection to {self.shown} closed: {exc}") from exc
        finally:
            self._pending.pop(request_id, None)
            if future.done() and not future.cancelled():
                # A caller cancelled (its deadline) just as the connection ended leaves the
                # error unread: read it, or asyncio logs "exception was never retrieved".
                future.exception()
        if "error" in answer:
            return Reply(request, None, answer["error"])
        return Reply(request, answer.get("result"))

    def subscribe(self, subscription_id: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for item in self._unclaimed.pop(subscription_id, []):
            queue.put_nowait(item)
        self._subscriptions[subscription_id] = queue
        return queue

    def unsubscribe(self, subscription_id: str) -> asyncio.Queue[Any] | None:
        return self._subscriptions.pop(subscription_id, None)

    async def close(self) -> None:
        self._closed = True
        connection, reader = self._connection, self._reader
        if connection is not None:
            await connection.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._connection_ended(connection, ConnectionLost("connection closed by the client"))

    async def _connect(self) -> ClientConnection:
        if self._connection is not None:
            return self._connection
        async with self._connect_lock:
            if self._connection is None:
                if self._closed:
                    raise ConnectionLost(f"connection to {self.shown} was closed")
                try:
                    connection = await websockets.asyncio.client.connect(
                        self.url, open_timeout=self.open_timeout, max_size=MAX_MESSAGE_BYTES
                    )
                except (OSError, TimeoutError, websockets.WebSocketException):
                    if self.unreachable_since is None:
                        self.unreachable_since = time.monotonic()
                    raise
                self._connection = connection
                self._reader = asyncio.create_task(
                    self._read(connection), name=f"node-reader {self.shown}"
                )
                self.unreachable_since = None
                logger.info("connected to %s", self.url)
                for callback in self._on_connect:
                    callback()
            return self._connection

    async def _read(self, connection: ClientConnection) -> None:
        reason = "closed by the node"
        try:
            async for raw in connection:
                self._dispatch(json.loads(raw))
        except websockets.ConnectionClosed as exc:
            reason = str(exc)
        except Exception as exc:  # a garbled message must not leave callers waiting
            logger.exception("reading from %s failed", self.url)
            reason = repr(exc)
            await connection.close()
        finally:
            self._connection_ended(connection, ConnectionLost(f"{self.url}: {reason}"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        if request_id is not None:
            future = self._pending.get(request_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        params = message.get("params")
        if not isinstance(params, dict) or "subscription" not in params:
            return
        subscription_id, result = params["subscription"], params.get("result")
        queue = self._subscriptions.get(subscription_id)
        if queue is not None:
            queue.put_nowait(result)
            return
        waiting = self._unclaimed.setdefault(subscription_id, [])
        waiting.append(result)
        del waiting[:-UNCLAIMED_NOTIFICATIONS]

    def _connection_ended(self, connection: ClientConnection | None, error: ConnectionLost) -> None:
        """Fail what depended on `connection`; the next call opens a new one."""
        if connection is not None and connection is not self._connection:
            return
        self._connection = None
        self._reader = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
        # Subscriptions live on the node's side of one connection: they end with it.
        for queue in self._subscriptions.values():
            queue.put_nowait(error)
        self._subscriptions.clear()
        self._unclaimed.clear()
