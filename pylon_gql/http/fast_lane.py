"""The fast lane: a GraphQL request whose answer is kept is answered here, in front of routing,
the GraphQL view and any JSON or GraphQL work.

A dashboard asks the same few documents again and again; once one has been answered from the
response cache, its raw bytes (a POST's body, a GET's query string) and the caller's roles name
its key (`response_cache/raw.py`), and the answer is one dict lookup away. Everything else (a
request never seen, an answer not kept, a mutation, a websocket, a refused body) goes on to the
app, with the body it read handed on unchanged. What the app does for every request still
happens here: the rate limits count the request (the app's limiter does not count it again),
and the answer is delivered with the same headers (`response_cache/delivery.py`). The request
id and CORS headers come from the middleware around this one.
"""

from __future__ import annotations

import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..response_cache import ResponseCache
from ..response_cache.delivery import Asked, accepts_gzip, deliver
from .ratelimit import COUNTED, RateLimiter, limited_answer


class FastLane:
    """Serves kept answers of `path` before `app` sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        responses: ResponseCache,
        *,
        max_body_bytes: int,
        limiter: RateLimiter | None,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.responses = responses
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        authorization = accept_encoding = if_none_match = None
        content_type = accept = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
        if method == "GET":
            raw: bytes = scope["query_string"]
        elif method == "POST" and b"application/json" in content_type:
            if b"multipart" in accept or b"event-stream" in accept:
                await self.app(scope, receive, send)  # a streamed subscription: the view's
                return
            raw_body, read = await _read_body(receive, self.max_body_bytes)
            receive = _replaying(read, receive)
            if raw_body is None:
                await self.app(scope, receive, send)  # too large, or the client left
                return
            raw = raw_body
        else:
            await self.app(scope, receive, send)
            return
        roles = self.responses.roles_of(None if authorization is None else authorization.decode())
        found = self.responses.find((method, raw, roles))
        if found is None:
            await self.app(scope, receive, send)
            return
        if self.limiter is not None:
            scope[COUNTED] = True
            retry_after = await self.limiter.retry_after(self.limiter.caller(scope))
            if retry_after is not None:
                await limited_answer(retry_after)(scope, receive, send)
                return
        asked = Asked(
            revalidates=method == "GET",
            accepts_gzip=accepts_gzip(accept_encoding),
            if_none_match=if_none_match,
        )
        cache_control = self.responses.served(found, time.perf_counter() - started)
        status, headers, body = deliver(
            found.answer, asked, outcome=b"hit", cache_control=cache_control
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> tuple[bytes | None, list[Message]]:
    """The request's body and the messages it came in; None for the body when it is larger
    than `limit` (the app refuses it) or the client disconnected."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, messages
        chunks.append(chunk)
        if not message.get("more_body", False):
            return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` for the app: the messages already read, then the client's own."""
    pending = deque(messages)

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replay
