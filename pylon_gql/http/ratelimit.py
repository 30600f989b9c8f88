"""Rate limits on /graphql: per token, and per client address for a request without one.

A request with a token that grants a role counts against that token (the limits of its role,
`PYLON_RATE_LIMIT_<ROLE>`); any other request, an unknown token's too, counts against the client
address (`PYLON_RATE_LIMIT_ANONYMOUS`), so rotating made-up tokens buys no fresh counters. A
websocket counts once, at its handshake. Counters live in this process's memory, or in Redis
when `PYLON_REDIS_URL` is set, so that replicas share them.

Over a limit, HTTP answers 429 with `Retry-After` and a GraphQL error coded `RATE_LIMITED` whose
`extensions.retryAfter` carries the same seconds (pylon-gql-client reads it); a websocket
handshake is denied with the same answer. When the counter storage fails (Redis down), requests
go through and the log says so once a minute: a limiter outage must not become a server outage.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..auth import Role, bearer_token
from ..schema.errors import ErrorCode
from ..settings import Settings

log = logging.getLogger("pylon_gql.ratelimit")

#: A token with several roles gets the limits of the first of them here.
ROLE_PRECEDENCE = (Role.VALIDATOR, Role.OWNER, Role.READER)
#: Seconds a Redis call may take before the request goes through unlimited.
REDIS_TIMEOUT = 1.0
#: Seconds between two log lines about a failing counter storage.
STORAGE_WARNING_INTERVAL = 60.0
#: Set in a request's scope once it has been counted (by the fast lane), so it counts once.
COUNTED = "pylon.rate_limit_counted"


@dataclass(frozen=True)
class Caller:
    """Whose counters a request counts against, and their limits."""

    key: str
    limits: tuple[RateLimitItem, ...]


def _limits(value: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(value))


class RateLimiter:
    """Counts requests per caller in a sliding window (limits' sliding window counter: two
    counters a key, so memory does not grow with the request rate)."""

    def __init__(
        self, settings: Settings, roles_for: Callable[[str | None], frozenset[Role]]
    ) -> None:
        self._roles_for = roles_for
        if settings.redis_url is None:
            storage = storage_from_string("async+memory://")
        else:
            storage = storage_from_string(
                "async+" + settings.redis_url.get_secret_value(),
                wrap_exceptions=True,
                key_prefix="pylon-gql",
                connect_timeout=REDIS_TIMEOUT,
                stream_timeout=REDIS_TIMEOUT,
            )
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._anonymous = _limits(settings.rate_limit_anonymous)
        self._by_role = {
            Role.READER: _limits(settings.rate_limit_reader),
            Role.VALIDATOR: _limits(settings.rate_limit_validator),
            Role.OWNER: _limits(settings.rate_limit_owner),
        }
        self._warned_at = -math.inf

    def caller(self, scope: Scope) -> Caller:
        token = bearer_token(Headers(scope=scope).get("authorization"))
        roles = self._roles_for(token)
        for role in ROLE_PRECEDENCE:
            if role in roles:
                assert token is not None
                # The digest, never the token: keys are visible in Redis.
                digest = hashlib.sha256(token.encode()).hexdigest()[:32]
                return Caller(f"token:{digest}", self._by_role[role])
        client = scope.get("client")
        return Caller(f"address:{client[0] if client else 'unknown'}", self._anonymous)

    async def retry_after(self, caller: Caller) -> int | None:
        """Counts one request; None when it is within the limits, else the seconds to wait."""
        try:
            for limit in caller.limits:
                if not await self._strategy.hit(limit, caller.key):
                    stats = await self._strategy.get_window_stats(limit, caller.key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except (StorageError, OSError, TimeoutError) as error:
            now = time.monotonic()
            if now - self._warned_at >= STORAGE_WARNING_INTERVAL:
                self._warned_at = now
                log.warning("rate limits not enforced: the counter storage failed (%s)", error)
        return None


def limited_answer(retry_after: int) -> JSONResponse:
    message = f"too many requests: retry in {retry_after} s"
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": message,
                    "extensions": {"code": ErrorCode.RATE_LIMITED.value, "retryAfter": retry_after},
                }
            ],
        },
        status_code=429,
        headers={"retry-after": str(retry_after)},
    )


class RateLimitedApp:
    """Wraps an ASGI app (the GraphQL view): each request or websocket handshake counts."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not scope.get(COUNTED):
            retry_after = await self.limiter.retry_after(self.limiter.caller(scope))
            if retry_after is not None:
                answer = limited_answer(retry_after)
                if scope["type"] == "http":
                    await answer(scope, receive, send)
                elif "websocket.http.response" in scope.get("extensions", {}):
                    await WebSocket(scope, receive, send).send_denial_response(answer)
                else:
                    await send({"type": "websocket.close", "code": 1013})  # try again later
                return
        await self.app(scope, receive, send)
