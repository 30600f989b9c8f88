"""The Starlette app: /graphql (HTTP, websocket, GraphiQL), /health and /metrics."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from . import metrics
from .events import EventHub
from .schema import Context, create_schema
from .schema.context import Reader
from .settings import Settings

REQUEST_ID_HEADER = "x-request-id"
KEEP_ALIVE_SECONDS = 15.0
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ServedChain(Protocol):
    """What the app serves from (`pylon_gql.services.Services`): the chain reader, and how
    following the chain goes: `status()` is `{"connected": bool, "follower": {"state": ...}}`."""

    @property
    def reader(self) -> Reader: ...

    @property
    def hub(self) -> EventHub: ...

    def head_age(self) -> float | None: ...

    def status(self) -> Mapping[str, Any]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class RequestIdMiddleware:
    """Gives every request an id (the client's `x-request-id`, or a new one) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                candidate = value.decode("latin-1")
                if _CLIENT_REQUEST_ID.match(candidate):
                    request_id = candidate
                break
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def request_id_of(request: Request | WebSocket) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


class PylonGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context and orjson encoding."""

    def __init__(self, settings: Settings, chain: ServedChain) -> None:
        super().__init__(
            create_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            # Pings keep an idle subscription's connection open through proxies.
            keep_alive=True,
            keep_alive_interval=KEEP_ALIVE_SECONDS,
        )
        self.settings = settings
        self.chain = chain

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            settings=self.settings,
            reader=self.chain.reader,
            request_id=request_id_of(request),
            head_age=self.chain.head_age,
            events=self.chain.hub,
            request=request,
            response=response,
        )

    def encode_json(self, data: object) -> str:
        # Text, not bytes: websocket clients expect text frames.
        return orjson.dumps(data).decode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = Response(orjson.dumps(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response


def health(settings: Settings, chain: ServedChain) -> tuple[int, dict[str, Any]]:
    """The server's health: 200 once it follows a head younger than the threshold, else 503."""
    head = chain.reader.head
    age = chain.head_age()
    status = chain.status()
    max_age = settings.health_max_head_age
    if head is None or age is None:
        state = "starting"
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
    }
    return (200 if state == "ok" else 503), body


def create_app(settings: Settings, chain: ServedChain) -> Starlette:
    """The app; its lifespan starts and stops `chain`."""
    graphql = PylonGraphQL(settings, chain)

    async def health_endpoint(request: Request) -> Response:
        code, body = health(settings, chain)
        return JSONResponse(body, status_code=code)

    async def metrics_endpoint(request: Request) -> Response:
        # The follower keeps the head gauges; the reader and client count the rest.
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await chain.start()
        try:
            yield
        finally:
            await chain.stop()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(RequestIdMiddleware)
    return app
