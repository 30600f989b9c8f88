"""The request body's size, bounded before it is read: a stranger's 10 MB body costs the server
at most `max_bytes` of memory and no parsing."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bytes of a refused body read and dropped so that its sender hears the 413 (beyond: reset).
DRAIN_BYTES = 64 * 2**20


class _TooLarge(Exception):
    pass


def graphql_error(status: int, message: str, code: str) -> tuple[int, bytes]:
    """A GraphQL-over-HTTP error answer: the status and the JSON body."""
    return status, orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class BodyLimitMiddleware:
    """Answers 413 to a body over `max_bytes`: at once when Content-Length says so, else as soon
    as the streamed body passes the bound (the app never sees more)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _drain(receive)
            await self._refuse(send)
            return
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await _drain(receive)
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        status, body = graphql_error(
            413,
            f"the request body is larger than {self.max_bytes} bytes (PYLON_MAX_BODY_BYTES)",
            "REQUEST_TOO_LARGE",
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read, and drop, what the client still uploads (up to DRAIN_BYTES), before the 413 is
    sent: once the answer is complete the server closes, and closing a socket with unread data
    makes the kernel send a reset, which discards the answer in flight too, so a client that
    uploads its whole body before reading (most do) would never see the 413. Dropped bytes
    cost no memory and no parsing."""
    drained = 0
    while drained <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
