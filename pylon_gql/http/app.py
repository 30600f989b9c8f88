"""The Starlette app, assembled: /graphql (HTTP, websocket, GraphiQL), /health and /metrics,
and a lifespan that starts the services and then the response cache's pre-rendering."""

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
        await services.start()
        if prerenderer is not None:
            prerenderer.start()
        try:
            yield
        finally:
            if prerenderer is not None:
                await prerenderer.stop()
            await services.stop()

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
