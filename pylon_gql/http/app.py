"""The Starlette app, assembled: /graphql (HTTP, websocket, GraphiQL), /health and /metrics,
and a lifespan that starts the response cache's pre-rendering, then the services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from ..settings import Settings
from .health import health_endpoint, metrics_endpoint
from .middleware import RequestIdMiddleware
from .served import RunningServices
from .view import PylonGraphQL


def create_app(settings: Settings, services: RunningServices) -> Starlette:
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
                yield
            finally:
                await services.stop()
        finally:
            if prerenderer is not None:
                await prerenderer.stop()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health_endpoint(settings, services), methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestIdMiddleware)
    return app
