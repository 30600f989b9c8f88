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

What is left is kept to a few microseconds (docs/performance.md), because a hit runs on a
cold processor cache between uvicorn's own work, where every object touched costs: what a
header list decides (Host, Origin, JSON, token, gzip, If-None-Match, the client's request id)
is judged once per distinct list; the reply to a request (its status, headers and body) is
made once and kept until the head moves, its Cache-Control counts down or a second passes
(then made again, which keeps its answer recently used in the store); a hit is counted in
plain numbers that the metrics collect at scrape time (`metrics.PendingHistogram`); the log
context is set only when an access line will be written. What a hit still does: read the body,
one dict lookup, the rate limits when on, its count, a request id, the two sends.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import end_request, start_request
from ..models import BlockRef
from ..response_cache import CacheKey, ResponseCache
from ..response_cache.cache import Found
from ..response_cache.delivery import accepts_gzip, delivered, matches
from ..response_cache.raw import KeyTemplate
from .middleware import REQUEST_ID_HEADER, new_request_id, request_id_for
from .ratelimit import COUNTED, RateLimiter, limited_answer

_REQUEST_ID = REQUEST_ID_HEADER.encode()
_HIT = b"hit"
#: Distinct header lists judged, and replies made, remembered at most (then forgotten all at
#: once): the clients of a server send a handful; a stranger's made-up ones must not grow the
#: memory.
MAX_REMEMBERED = 1024
#: A reply is made afresh at least this often (and at each new head, and when its
#: Cache-Control counts down): made, it finds its answer in the store again, which keeps that
#: answer among the most recently used there.
REPLY_SECONDS = 1.0

Headers = tuple[tuple[bytes, bytes], ...]
#: A request as the fast lane remembers it: (method, body or query string, its headers).
Asked = tuple[str, bytes, Headers]
#: A reply made for an `Asked`: (the head it was made at, until when it holds (perf_counter),
#: status, headers without the request id, body, the key template, the key, the client's own
#: request id when it sent a tame one).
Reply = tuple[
    BlockRef | None,
    float,
    int,
    list[tuple[bytes, bytes]],
    bytes,
    KeyTemplate,
    CacheKey,
    bytes | None,
]


class Judged(NamedTuple):
    """What a request's headers decide about it, whatever its body: judged once per distinct
    header list (a dashboard sends the same one every time)."""

    #: No `Origin` (CORS is the app's) and a Host allowed by name (not by wildcard: the app's).
    lane: bool
    #: A JSON body, not asking for a streamed (subscription) answer.
    json: bool
    authorization: str | None
    gzipped: bool
    if_none_match: bytes | None
    #: The client's own request id when it is tame (None: a new one per request).
    client_id: bytes | None


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
        self._judged: dict[Headers, Judged] = {}
        self._replies: dict[Asked, Reply] = {}
        self._generation = responses.answers.generation
        self._anonymous = responses.roles_of(None)
        # uvicorn logs its access line while the answer starts: under the request's id and
        # operation, when that line is written at all.
        self._access = logging.getLogger("uvicorn.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        listed = tuple(scope["headers"])
        method = scope["method"]
        message: Message | None = None  # the body's first message, read here
        raw: bytes | None
        if method == "GET":
            raw = scope["query_string"]
        elif method == "POST":
            message = await receive()
            body: bytes = message.get("body", b"")
            if (
                message["type"] != "http.request"
                or message.get("more_body", False)
                or len(body) > self.max_body_bytes
            ):
                raw = None  # not one message of a body the app takes: see below
            else:
                raw = body
        else:
            await self.app(scope, receive, send)
            return
        responses = self.responses
        generation = responses.answers.generation
        if generation != self._generation:  # an answer left the store: replies may name it
            self._replies.clear()
            self._generation = generation
        head = responses.prerenderer.head
        reply = None if raw is None else self._replies.get((method, raw, listed))
        if reply is None or reply[0] is not head or started >= reply[1]:
            # Not answered just now: what its headers decide, then the key of its answer.
            judged = self._judged.get(listed)
            if judged is None:
                judged = self._judge(listed)
            lane, json, authorization, gzipped, if_none_match, client_id = judged
            if not lane or (method == "POST" and not json):
                if message is not None:
                    receive = _replaying([message], receive)  # the app reads the body again
                await self.app(scope, receive, send)
                return
            if raw is None:
                assert message is not None
                # In several messages (or too large, or the client left): read the rest, or
                # hand on what came for the app to refuse.
                raw, read = await _read_body(receive, self.max_body_bytes, message)
                receive = _replaying(read, receive)
                message = None
                if raw is None:
                    await self.app(scope, receive, send)
                    return
            roles = self._anonymous if authorization is None else responses.roles_of(authorization)
            found = responses.find((method, raw, roles))
            if found is None:
                if message is not None:
                    receive = _replaying([message], receive)  # the app reads the body again
                await self.app(scope, receive, send)
                return
            reply = self._reply(
                (method, raw, listed), found, head, started, gzipped, if_none_match, client_id
            )
        if self.limiter is not None:
            scope[COUNTED] = True
            retry_after = await self.limiter.retry_after(self.limiter.caller(scope))
            if retry_after is not None:
                await limited_answer(retry_after)(scope, receive, send)
                return
        _, _, status, headers, body, template, key, client_id = reply
        responses.count(template, key, time.perf_counter() - started)
        request_id = client_id or new_request_id()
        headers = [*headers, (_REQUEST_ID, request_id)]
        if not self._access.isEnabledFor(logging.INFO):
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        log_context = start_request(request_id.decode("latin-1"), template.log_name)
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            end_request(log_context)

    def _reply(
        self,
        asked: Asked,
        found: Found,
        head: BlockRef | None,
        now: float,
        gzipped: bool,
        if_none_match: bytes | None,
        client_id: bytes | None,
    ) -> Reply:
        """The reply to a request that found a kept answer, remembered for its next asking."""
        answer, template, key = found
        cache_control, holds = self.responses.cache_control(template)
        ready = delivered(answer, gzipped, cache_control, _HIT)
        if if_none_match is not None and asked[0] == "GET" and matches(if_none_match, answer):
            status, headers, body = 304, ready.not_modified, b""
        else:
            status, headers, body = 200, ready.headers, ready.body
        holds_until = now + min(holds, REPLY_SECONDS)
        reply = (head, holds_until, status, headers, body, template, key, client_id)
        if len(self._replies) >= MAX_REMEMBERED:
            self._replies.clear()
        self._replies[asked] = reply
        return reply

    def _judge(self, listed: Headers) -> Judged:
        """What `listed` decides (remembered: see `Judged`)."""
        headers = dict(listed)  # the last value of a repeated header, as the app would read
        host = headers.get(b"host", b"")
        lane = b"origin" not in headers and (self._any_host or _hostname(host) in self._hosts)
        accept = headers.get(b"accept", b"")
        json = (
            b"application/json" in headers.get(b"content-type", b"")
            and b"multipart" not in accept
            and b"event-stream" not in accept
        )
        authorization = headers.get(b"authorization")
        client_id = headers.get(_REQUEST_ID)
        judged = Judged(
            lane=lane,
            json=json,
            authorization=None if authorization is None else authorization.decode("latin-1"),
            gzipped=accepts_gzip(headers.get(b"accept-encoding")),
            if_none_match=headers.get(b"if-none-match"),
            client_id=None if client_id is None else _tame(client_id),
        )
        if len(self._judged) >= MAX_REMEMBERED:
            self._judged.clear()
        self._judged[listed] = judged
        return judged


def _tame(client_id: bytes) -> bytes | None:
    """The client's request id when it is kept (tame enough for logs and answers)."""
    kept = request_id_for(client_id).encode("latin-1")
    return kept if kept == client_id else None


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
