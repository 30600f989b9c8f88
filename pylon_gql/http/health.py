"""/health (is this server following a fresh head?) and /metrics (Prometheus, behind a token
when PYLON_METRICS_TOKEN is set)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import metrics
from ..auth import bearer_token, token_digest
from ..settings import Settings
from .served import RunningServices


def health(settings: Settings, services: RunningServices) -> tuple[int, dict[str, Any]]:
    """The server's health: 200 once it follows a head younger than the threshold, else 503
    (also while the node has not answered for longer than `chain_timeout`)."""
    head = services.reader.head
    age = services.head_age()
    status = services.status()
    max_age = settings.health_max_head_age
    unreachable = status.get("follower", {}).get("unreachableSeconds")
    if head is None or age is None:
        state = "starting"
    elif unreachable is not None and unreachable > settings.chain_timeout:
        # Longer than a read may wait: the node is down, not a dropped connection.
        state = "unreachable"
    elif age > max_age:
        state = "stale"
    else:
        state = "ok"
    body = {
        "status": state,
        "network": settings.network,
        "simulated": settings.simulated,
        "netuid": settings.netuid,
        "chain": {"connected": bool(status.get("connected"))},
        "head": None if head is None else {"number": head.number, "hash": head.hash},
        "headAgeSeconds": None if age is None else round(age, 3),
        "maxHeadAgeSeconds": max_age,
        "follower": status.get("follower", {"state": "unknown"}),
        "watcher": status.get("watcher", {"state": "unknown"}),
        "committer": status.get("committer", {"state": "unknown"}),
    }
    return (200 if state == "ok" else 503), body


def health_endpoint(
    settings: Settings, services: RunningServices
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        code, body = health(settings, services)
        return JSONResponse(body, status_code=code)

    return endpoint


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """Prometheus metrics; behind `Authorization: Bearer <PYLON_METRICS_TOKEN>` when it is set
    (the scraper's token: it grants no role on /graphql)."""
    expected = (
        None
        if settings.metrics_token is None
        else token_digest(settings.metrics_token.get_secret_value())
    )

    async def endpoint(request: Request) -> Response:
        if expected is not None:
            token = bearer_token(request.headers.get("authorization"))
            presented = token_digest(token or "")
            if token is None or not hmac.compare_digest(presented, expected):
                return Response(
                    "/metrics needs `Authorization: Bearer <token>` with PYLON_METRICS_TOKEN\n",
                    status_code=401,
                    headers={"www-authenticate": 'Bearer realm="metrics"'},
                    media_type="text/plain",
                )
        # The follower keeps the head gauges; the reader, client and cache count the rest.
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return endpoint
