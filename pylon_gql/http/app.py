"""The Starlette app, assembled: /graphql (HTTP, websocket, GraphiQL; rate-limited), /health and
/metrics, CORS, allowed hosts, and a lifespan that starts the response cache's pre-rendering,
then the services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from ..gc_tuning import tuned_gc
from ..response_cache.answer import GZIP_LEVEL, GZIP_MIN_BYTES
from ..settings import Settings
from .fast_lane import FastLane
from .health import MetricsEndpoint, health_endpoint
from .limits import BodyLimitMiddleware
from .middleware import REQUEST_ID_HEADER, RequestIdMiddleware
from .ratelimit import RateLimitedApp, RateLimiter
from .served import RunningServices
from .view import PylonGraphQL


def create_app(settings: Settings, services: RunningServices) -> ASGIApp:
    """The app; its lifespan starts and stops `services`."""
    graphql = PylonGraphQL(settings, services)
    prerenderer = None if graphql.responses is None else graphql.responses.prerenderer

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if prerenderer is not None:
            prerenderer.start()  # listening before the follower announces its first head
        try:
            await services.start()
            try:
                async with tuned_gc():
                    yield
            finally:
                await services.stop()
        finally:
            if prerenderer is not None:
                await prerenderer.stop()

    endpoint = graphql
    limiter = None
    if settings.rate_limits:
        limiter = RateLimiter(settings, graphql.authenticator.roles_for)
        endpoint = RateLimitedApp(graphql, limiter)
    app = Starlette(
        routes=[
            Route("/graphql", endpoint),
            WebSocketRoute("/graphql", endpoint),
            Route(
                "/health",
                health_endpoint(settings, services, graphql.authenticator),
                methods=["GET"],
            ),
            Route("/metrics", MetricsEndpoint(settings, graphql.authenticator), methods=["GET"]),
            # GraphiQL's files, when fetched (http/graphiql.py); the page is GET /graphql.
            *(
                [Route("/graphiql/static/{name:path}", graphql.graphiql.file, methods=["GET"])]
                if settings.graphiql
                else []
            ),
        ],
        lifespan=lifespan,
    )
    # Large answers that are not kept compressed, on the fly (kept ones carry their own gzip).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)
    # Before anything reads the body.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Around the endpoints, so that refusals (429, 401) carry its headers too. No origins: closed (a
    # preflight gets no allow header, so a browser page elsewhere cannot read an answer).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "x-pylon-cache", "retry-after"],
        max_age=600,
    )
    # Outside the rest: a request naming another host is a DNS-rebinding page's (a name of
    # the attacker's, resolved to this server's address), refused with 400 before anything.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    # Outermost of the app: every answer carries its request id, the refusals above included.
    app.add_middleware(RequestIdMiddleware)
    if graphql.responses is None:
        return app
    # In front of it all, kept answers of requests seen before (fast_lane.py).
    return FastLane(
        app,
        graphql.responses,
        max_body_bytes=settings.max_body_bytes,
        limiter=limiter,
        allowed_hosts=settings.allowed_host_list,
    )
