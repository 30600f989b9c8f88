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

What is left is kept to a few microseconds (docs/performance.md): the headers read into a dict
once; the answers for an encoding and Cache-Control made once per answer (`delivered`); what a
Host or Accept-Encoding value decides remembered; the hit counted in plain numbers that the
metrics collect at scrape time (`metrics.PendingCounter`); the log context set only when an
access line will be written.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import end_request, start_request
from ..response_cache import ResponseCache
from ..response_cache.delivery import accepts_gzip, delivered, matches
from .middleware import REQUEST_ID_HEADER, request_id_for
from .ratelimit import COUNTED, RateLimiter, limited_answer

_REQUEST_ID = REQUEST_ID_HEADER.encode()
_HIT = b"hit"
#: Header values remembered with what they decide (a Host is allowed; an Accept-Encoding
#: takes gzip), at most this many of each: clients send a handful of distinct ones, and
#: strangers must not grow the memory with made-up ones.
MAX_REMEMBERED = 256


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
        self._host_allowed: dict[bytes, bool] = {}
        self._gzip_accepted: dict[bytes, bool] = {}
        # uvicorn logs its access line while the answer starts: under the request's id and
        # operation, when that line is written at all.
        self._access = logging.getLogger("uvicorn.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The last value of a repeated header, as a loop over them would keep.
        headers: dict[bytes, bytes] = dict(scope["headers"])
        if b"origin" in headers:  # CORS: the app's middleware answers it
            await self.app(scope, receive, send)
            return
        if not self._any_host and not self._allows(headers.get(b"host", b"")):
            await self.app(scope, receive, send)  # refused there, or matched by wildcard
            return
        method = scope["method"]
        read: list[Message] = []  # the body's messages read here, handed on with the request
        if method == "GET":
            raw: bytes = scope["query_string"]
        elif method == "POST" and b"application/json" in headers.get(b"content-type", b""):
            accept = headers.get(b"accept", b"")
            if b"multipart" in accept or b"event-stream" in accept:
                await self.app(scope, receive, send)  # a streamed subscription: the view's
                return
            message = await receive()
            raw = message.get("body", b"")
            read.append(message)
            if (
                message["type"] != "http.request"
                or message.get("more_body", False)
                or len(raw) > self.max_body_bytes
            ):
                # In several messages (or too large, or the client left): read the rest, or
                # hand on what came for the app to refuse.
                whole, read = await _read_body(receive, self.max_body_bytes, message)
                if whole is None:
                    await self.app(scope, _replaying(read, receive), send)
                    return
                raw = whole
        else:
            await self.app(scope, receive, send)
            return
        authorization = headers.get(b"authorization")
        responses = self.responses
        roles = responses.roles_of(None if authorization is None else authorization.decode())
        found = responses.find((method, raw, roles))
        if found is None:
            await self.app(scope, _replaying(read, receive) if read else receive, send)
            return
        if self.limiter is not None:
            scope[COUNTED] = True
            retry_after = await self.limiter.retry_after(self.limiter.caller(scope))
            if retry_after is not None:
                await limited_answer(retry_after)(scope, receive, send)
                return
        answer = found.answer
        accept_encoding = headers.get(b"accept-encoding")
        gzipped = accept_encoding is not None and self._accepts_gzip(accept_encoding)
        cache_control = responses.served(found, time.perf_counter() - started)
        ready = delivered(answer, gzipped, cache_control, _HIT)
        if_none_match = headers.get(b"if-none-match")
        if method == "GET" and if_none_match and matches(if_none_match, answer):
            status, answer_headers, body = 304, ready.not_modified, b""
        else:
            status, answer_headers, body = 200, ready.headers, ready.body
        request_id = request_id_for(headers.get(_REQUEST_ID))
        answer_headers = [*answer_headers, (_REQUEST_ID, request_id.encode())]
        if not self._access.isEnabledFor(logging.INFO):
            await send({"type": "http.response.start", "status": status, "headers": answer_headers})
            await send({"type": "http.response.body", "body": body})
            return
        log_context = start_request(request_id, found.template.log_name)
        try:
            await send({"type": "http.response.start", "status": status, "headers": answer_headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            end_request(log_context)

    def _allows(self, host: bytes) -> bool:
        """Whether a Host header names an allowed host (not by wildcard: the app's)."""
        allowed = self._host_allowed.get(host)
        if allowed is None:
            allowed = _hostname(host) in self._hosts
            if len(self._host_allowed) < MAX_REMEMBERED:
                self._host_allowed[host] = allowed
        return allowed

    def _accepts_gzip(self, accept_encoding: bytes) -> bool:
        accepted = self._gzip_accepted.get(accept_encoding)
        if accepted is None:
            accepted = accepts_gzip(accept_encoding)
            if len(self._gzip_accepted) < MAX_REMEMBERED:
                self._gzip_accepted[accept_encoding] = accepted
        return accepted


def _hostname(host: bytes) -> bytes:
    """The name of a Host header, without its port (`[::1]:8000` -> `[::1]`)."""
    if host.startswith(b"["):
        return host.partition(b"]")[0] + b"]"
    return host.partition(b":")[0]


async def _read_body(
    receive: Receive, limit: int, first: Message
) -> tuple[bytes | None, list[Message]]:
    """The request's body and the messages it came in, `first` the one read already; None for
    the body when it is larger than `limit` (the app refuses it) or the client disconnected."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    message = first
    while True:
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
        message = await receive()


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` for the app: the messages already read, then the client's own."""
    pending = deque(messages)

    async def replay() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replay
