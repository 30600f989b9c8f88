"""Request ids: every request and websocket gets one, echoed in `x-request-id` and named in
its errors, so a user's report can be matched to the server's log."""

from __future__ import annotations

import itertools
import logging
import os
import re
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..logs import end_request, start_request

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
#: A client's own id is kept when it is this tame (it ends up in logs and answers).
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


#: New request ids: this process's random prefix and a counter, as unique as uuid4's across
#: processes and replicas, at a tenth of its cost (no system call per request).
_PREFIX = os.urandom(8).hex()
_COUNTER = itertools.count()


def request_id_for(client_id: bytes | None) -> str:
    """The id of a request: the client's own `x-request-id` when it is tame, else a new one."""
    if client_id is not None:
        candidate = client_id.decode("latin-1")
        if _CLIENT_REQUEST_ID.match(candidate):
            return candidate
    return f"{_PREFIX}{next(_COUNTER):016x}"


_PREFIX_BYTES = _PREFIX.encode()


def new_request_id() -> bytes:
    """A new request id, as it goes in the `x-request-id` header."""
    return b"%s%016x" % (_PREFIX_BYTES, next(_COUNTER))


#: The messages that start an answer: its headers get the id.
_STARTS = ("http.response.start", "websocket.accept", "websocket.http.response.start")
_DENIAL_START: Message = {
    "type": "websocket.http.response.start",
    "status": 403,
    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
}
_DENIAL_BODY = (
    b"websocket refused: the websocket is at /graphql (graphql-transport-ws or graphql-ws)"
)


class RequestIdMiddleware:
    """Gives every request an id (the client's `x-request-id`, or a new one) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client_id = None
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                client_id = value
                break
        request_id = request_id_for(client_id)
        scope.setdefault("state", {})["request_id"] = request_id

        started = False
        can_deny = "websocket.http.response" in scope.get("extensions", {})

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "websocket.close" and not started and can_deny:
                # A handshake refused before it is accepted (no such path): the server would
                # answer 403 without this id; answer that 403 here, with it.
                await send_with_id(_DENIAL_START)
                await send({"type": "websocket.http.response.body", "body": _DENIAL_BODY})
                return
            if message["type"] in _STARTS:
                started = True
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        # Every record logged for this request carries its id (uvicorn's access line too).
        log_context = start_request(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started or scope["type"] != "http":
                raise
            # Starlette's own 500 answers outside this middleware, without the id: answer
            # here, and log the traceback under the id the client is given.
            logger.exception("request %s: unexpected error", request_id)
            body = f"Internal server error, request id {request_id}".encode()
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            end_request(log_context)


def request_id_of(request: Request | WebSocket) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex
