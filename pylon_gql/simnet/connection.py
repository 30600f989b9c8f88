"""One client's websocket: an ordered outbox of answers and notifications, and the state of
its subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import websockets
from websockets.asyncio.server import ServerConnection


class Connection:
    """One client: an ordered outbox (answers and notifications) and its subscriptions."""

    def __init__(self, websocket: ServerConnection) -> None:
        self.websocket = websocket
        self.outbox: asyncio.Queue[str] = asyncio.Queue()
        self.subscriptions: dict[str, str] = {}  # id -> notification method
        # a subscription's first notification (the current head), until it is sent
        self.first_notifications: dict[str, Any] = {}
        # storage subscription id -> the values last sent, by key
        self.storage: dict[str, dict[str, str | None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, message: dict[str, Any] | list[dict[str, Any]]) -> None:
        self.outbox.put_nowait(json.dumps(message, separators=(",", ":")))

    def send_first_notification(self, subscription_id: str) -> None:
        result = self.first_notifications.pop(subscription_id, None)
        method = self.subscriptions.get(subscription_id)
        if result is not None and method is not None:
            self.notify(subscription_id, method, result)

    def notify(self, subscription_id: str, method: str, result: Any) -> None:
        if subscription_id in self.first_notifications:
            self.send_first_notification(subscription_id)
        self.send(
            {
                "jsonrpc": "2.0",
                "method": method,
                "params": {"subscription": subscription_id, "result": result},
            }
        )

    def notify_once(self, subscription_id: str, method: str, result: Any) -> None:
        """The last notification of a subscription that has already ended."""
        self.send_first_notification_of(subscription_id, method)
        self.send(
            {
                "jsonrpc": "2.0",
                "method": method,
                "params": {"subscription": subscription_id, "result": result},
            }
        )

    def send_first_notification_of(self, subscription_id: str, method: str) -> None:
        result = self.first_notifications.pop(subscription_id, None)
        if result is not None:
            self.send(
                {
                    "jsonrpc": "2.0",
                    "method": method,
                    "params": {"subscription": subscription_id, "result": result},
                }
            )

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, as a crashed node or a cut
        network does."""
        transport = self.websocket.transport
        if transport is not None:
            transport.abort()

    async def write(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                message = await self.outbox.get()
                await self.websocket.send(message)
