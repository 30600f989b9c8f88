"""The fast lane: a GraphQL request whose answer is kept is answered here, in front of the
whole app (its middleware, routing, the GraphQL view) and of any JSON or GraphQL work.

A dashboard asks the same few documents again and again; once one has been answered from the
response cache, its raw bytes (a POST's body, a GET's query string) and the caller's roles name
its key (`response_cache/raw.py`), and the answer is one dict lookup away. Everything else (a
request never seen, an answer not kept, a mutation, a websocket, a refused body) goes on to the
app, with the body it read handed on unchanged. What the app does for every request still
happens here: the Host header is checked against `PYLON_ALLOWED_HOSTS`, the rate limits count
the request (the app's limiter does not count it again), the answer gets a request id and the
same headers as the app would give it (`response_cache/delivery.py`). A request that needs
more of the app's judgement (a Host it would have to match by wildcard, an `Origin` header for
CORS) goes to the app: the answer is the same, found the long way.

Why in front of everything: on a kept answer, serving is all that is left, and each layer of
ASGI middleware (host check, CORS, request ids, error handling, routing) costs about as much
as this whole lane; measured with bench/serving.py, they were most of what a hit cost above
the same bytes served raw.
"""

from __future__ import annotations

import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import end_request, note_operation, start_request
from ..response_cache import ResponseCache
from ..response_cache.delivery import Asked, accepts_gzip, deliver
from .middleware import REQUEST_ID_HEADER, request_id_for
from .ratelimit import COUNTED, RateLimiter, limited_answer

_REQUEST_ID = REQUEST_ID_HEADER.encode()


class FastLane:
    """Serves kept answers of `path` before `app` sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        responses: ResponseCache,
        *,
        max_body_bytes: int,
        limiter: RateLimiter | None,
        allowed_hosts: list[str],
        path: str = "/graphql",
    ) -> None:
        """`allowed_hosts`: `PYLON_ALLOWED_HOSTS` as a list (`*` for any); a name with a
        wildcard is left to the app's own check."""
        self.app = app
        self.responses = responses
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.path = path
        self._any_host = "*" in allowed_hosts
        self._hosts = frozenset(h.encode() for h in allowed_hosts if "*" not in h)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        authorization = accept_encoding = if_none_match = client_id = None
        content_type = accept = host = b""
        for name, value in scope["headers"]:
            if name == b"origin":  # CORS: the app's middleware answers it
                await self.app(scope, receive, send)
                return
            if name == b"host":
                host = value
            elif name == b"authorization":
                authorization = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
            elif name == _REQUEST_ID:
                client_id = value
        if not self._any_host and _hostname(host) not in self._hosts:
            await self.app(scope, receive, send)  # refused there, or matched by wildcard
            return
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
        request_id = request_id_for(client_id)
        headers.append((_REQUEST_ID, request_id.encode()))
        # uvicorn's access line is logged as the answer starts: under this request's id.
        log_context = start_request(request_id)
        note_operation(found.template.name)
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            end_request(log_context)


def _hostname(host: bytes) -> bytes:
    """The name of a Host header, without its port (`[::1]:8000` -> `[::1]`)."""
    if host.startswith(b"["):
        return host.partition(b"]")[0] + b"]"
    return host.partition(b":")[0]


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
