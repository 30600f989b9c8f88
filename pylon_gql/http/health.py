"""/health (is this server following a fresh head?) and /metrics (Prometheus, behind a token
when PYLON_METRICS_TOKEN is set).

When reads are closed (`PYLON_READER_TOKENS` set), a caller without a token learns only
/health's status (a load balancer needs no more), and /metrics needs a token: its detail (the
head, the follower's errors, versions, request counts) is the server's to show to its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import make_asgi_app
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from .. import metrics
from ..auth import Authenticator, bearer_token, token_digest
from ..freshness import head_is_stale
from ..redaction import redact_url
from ..settings import Settings
from .served import RunningServices


def health(settings: Settings, services: RunningServices) -> tuple[int, dict[str, Any]]:
    """The server's health: 200 once it follows a head younger than the threshold and close
    enough to the node's finalized head, else 503 (also while the node is unreachable: no
    connection to it opens, or it has answered the follower nothing for longer than
    `chain_timeout`; a dropped connection that opens again is not that)."""
    head = services.reader.head
    age = services.head_age()
    status = services.status()
    max_age = settings.health_max_head_age
    max_lag = settings.health_max_lag_blocks
    follower = status.get("follower", {})
    lag = follower.get("lagBlocks")
    if follower.get("nodeReachable") is False:
        # Also before the first head: a node that is down is why there is none.
        state = "unreachable"
    elif head is None or age is None:
        state = "starting"
    elif head_is_stale(age, max_age) or (lag is not None and lag > max_lag):
        state = "stale"
    else:
        state = "ok"
    body = {
        "status": state,
        "network": redact_url(settings.network),  # a node provider's key stays out
        "simulated": settings.simulated,
        "netuid": settings.netuid,
        "chain": {"connected": bool(status.get("connected"))},
        "head": None if head is None else {"number": head.number, "hash": head.hash},
        "headAgeSeconds": None if age is None else round(age, 3),
        "maxHeadAgeSeconds": max_age,
        "lagBlocks": lag,
        "maxLagBlocks": max_lag,
        "follower": status.get("follower", {"state": "unknown"}),
        "watcher": status.get("watcher", {"state": "unknown"}),
        "committer": status.get("committer", {"state": "unknown"}),
        # Commit events across replicas: the broker's state (down: only this replica's own).
        "events": status.get("events", {"broker": None, "state": "local"}),
    }
    return (200 if state == "ok" else 503), body


def _matches(token: str | None, expected: bytes | None) -> bool:
    if token is None or expected is None:
        return False
    return hmac.compare_digest(token_digest(token), expected)


def _metrics_digest(settings: Settings) -> bytes | None:
    if settings.metrics_token is None:
        return None
    return token_digest(settings.metrics_token.get_secret_value())


def health_endpoint(
    settings: Settings, services: RunningServices, authenticator: Authenticator
) -> Callable[[Request], Awaitable[Response]]:
    """/health; with reads closed, only `{"status": ...}` without a token of a role (or the
    metrics token)."""
    scraper = _metrics_digest(settings)

    async def endpoint(request: Request) -> Response:
        code, body = health(settings, services)
        if not authenticator.reads_open:
            token = bearer_token(request.headers.get("authorization"))
            if not (authenticator.roles_for(token) or _matches(token, scraper)):
                body = {"status": body["status"]}
        return JSONResponse(body, status_code=code)

    return endpoint


class MetricsEndpoint:
    """/metrics: prometheus-client's own ASGI app (the text format, or OpenMetrics for `Accept:
    application/openmetrics-text`; gzip when accepted; `?name[]=` filters), behind
    `Authorization: Bearer <PYLON_METRICS_TOKEN>` when that is set (the scraper's token: it
    grants no role on /graphql); without it, behind a token of any role when reads are closed.

    An ASGI app, not a request handler: Starlette hands the request to it as it is, so that
    prometheus-client reads the Accept headers itself.
    """

    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        self._scraper = _metrics_digest(settings)
        self._authenticator = authenticator
        # The follower keeps the head gauges; the reader, client, cache and websockets the rest.
        self._exposition = make_asgi_app(registry=metrics.REGISTRY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._exposition(scope, receive, send)

    def _refusal(self, request: Request) -> Response | None:
        token = bearer_token(request.headers.get("authorization"))
        if self._scraper is not None:
            if not _matches(token, self._scraper):
                return _refused("PYLON_METRICS_TOKEN")
        elif not self._authenticator.reads_open and not self._authenticator.roles_for(token):
            return _refused("a token of any role (reads are closed: PYLON_READER_TOKENS is set)")
        return None


def _refused(needs: str) -> Response:
    return Response(
        f"/metrics needs `Authorization: Bearer <token>` with {needs}\n",
        status_code=401,
        headers={"www-authenticate": 'Bearer realm="metrics"'},
        media_type="text/plain",
    )
