"""The Starlette app: /graphql (HTTP, websocket, GraphiQL), /health and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
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
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from . import metrics
from .auth import Authenticator, bearer_token
from .events import EventBus
from .models import BlockRef
from .response_cache import (
    CacheKey,
    HeadPinnedReader,
    PlanCache,
    QueryPlan,
    ResponseCache,
    cache_key,
)
from .schema import Context, create_schema
from .schema.context import Reader
from .settings import Settings
from .websocket import TRY_AGAIN_LATER_CODE, LegacyWSHandler, TransportWSHandler

REQUEST_ID_HEADER = "x-request-id"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Head queries rendered for a new head before it is announced: the most asked at the last one.
PRERENDER_QUERIES = 8
#: Distinct head queries counted per head (more are not counted).
HOT_QUERIES_TRACKED = 1024


@dataclass
class HotQuery:
    """An anonymous head-defaulting query, and how often it was asked at the current head."""

    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    plan: QueryPlan
    count: int = 0


class ServedChain(Protocol):
    """What the app serves from (`pylon_gql.services.Services`): the chain reader, and how
    following the chain goes: `status()` is `{"connected": bool, "follower": {"state": ...}}`."""

    @property
    def reader(self) -> Reader: ...

    @property
    def hub(self) -> EventBus: ...

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

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings, chain: ServedChain) -> None:
        super().__init__(
            create_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            # Pings keep an idle subscription's connection open through proxies.
            keep_alive=settings.ws_keep_alive_interval > 0,
            keep_alive_interval=settings.ws_keep_alive_interval,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
        )
        self.settings = settings
        self.chain = chain
        # On `sim` with no tokens configured, Services makes dev tokens (and logs them).
        self.authenticator = Authenticator(settings, extra=getattr(chain, "dev_tokens", None))
        self.responses = (
            ResponseCache(settings.response_cache_bytes) if settings.response_cache_bytes else None
        )
        self.plans = PlanCache(settings.max_tokens)
        #: Anonymous head queries asked since the last new head, by key without the head.
        self._hot: dict[tuple[str, str, bytes], HotQuery] = {}
        self._last_hot: list[HotQuery] = []
        self.ws_send_timeout = settings.ws_send_timeout
        self.ws_connections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        if self.ws_connections >= self.settings.ws_max_connections:
            websocket = WebSocket(scope, receive=receive, send=send)
            await websocket.accept(subprotocol=await self.pick_websocket_subprotocol(websocket))
            await websocket.close(TRY_AGAIN_LATER_CODE, "too many connections; retry later")
            return
        self.ws_connections += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ws_connections -= 1

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        # Ours in order of preference (graphql-transport-ws first), not the client's.
        offered = set(request["subprotocols"])
        return next((p for p in self.websocket_subprotocols if p in offered), None)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        token = bearer_token(request.headers.get("authorization"))
        reader: Reader = self.chain.reader
        pinned: BlockRef | None = getattr(request.state, "pinned_head", None)
        if pinned is not None:
            reader = HeadPinnedReader(reader, pinned)
        return Context(
            settings=self.settings,
            reader=reader,
            request_id=request_id_of(request),
            head_age=self.chain.head_age,
            events=self.chain.hub,
            request=request,
            response=response,
            roles=self.authenticator.roles_for(token),
            writes=getattr(self.chain, "writes", None),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Roles from the `connection_init` payload: `{"authorization": "Bearer <token>"}` or
        `{"token": "<token>"}`. A token that grants no role refuses the connection (4403)."""
        params = context.connection_params or {}
        authorization = params.get("authorization", params.get("Authorization"))
        token = bearer_token(authorization) if isinstance(authorization, str) else None
        if token is None and isinstance(params.get("token"), str):
            token = str(params["token"]).strip() or None
        if token is None:
            return UNSET  # anonymous: public subscriptions only (or the handshake's header)
        roles = self.authenticator.roles_for(token)
        if not roles:
            raise ConnectionRejectionError({"message": "unknown token"})
        context.roles = roles
        return {"roles": sorted(roles)}

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        """A cacheable query is answered from the response cache without executing it, or
        executed once for all its concurrent identical requests; anything else as strawberry
        does."""
        responses = self.responses
        if responses is None or not isinstance(request, Request) or context is not UNSET:
            return await super().run(request, context, root_value)  # type: ignore[arg-type, call-overload]
        found = await self._cache_key(request)
        if found is None:
            metrics.RESPONSE_CACHE_REQUESTS.labels("bypass").inc()
            return await super().run(request)
        key, head = found
        body = responses.get(key)
        if body is not None:
            metrics.RESPONSE_CACHE_REQUESTS.labels("hit").inc()
            return _cached_response(body, "hit")
        flight = responses.in_flight(key)
        if flight is not None:
            body = await asyncio.shield(flight)
            if body is not None:
                metrics.RESPONSE_CACHE_REQUESTS.labels("shared").inc()
                return _cached_response(body, "shared")
            # The execution it waited for had errors: those carry its request id, not ours.
            metrics.RESPONSE_CACHE_REQUESTS.labels("bypass").inc()
            return await super().run(request)
        metrics.RESPONSE_CACHE_REQUESTS.labels("miss").inc()
        responses.lead(key)
        body = None
        try:
            request.state.pinned_head = head
            response = await super().run(request)
            answer = getattr(response, "body", None)
            errors = getattr(request.state, "graphql_errors", False)
            if response.status_code == 200 and not errors and isinstance(answer, bytes):
                body = answer
        finally:
            responses.land(key, body)
        response.headers["x-pylon-cache"] = "miss"
        return response

    async def _cache_key(self, request: Request) -> tuple[CacheKey, BlockRef | None] | None:
        """The request's key in the response cache and the head it pins (None when the answer
        does not depend on the head); None when the request is not a cacheable query."""
        if request.method == "POST":
            if "application/json" not in request.headers.get("content-type", ""):
                return None
            if "multipart" in request.headers.get("accept", ""):
                return None  # a streamed (subscription) response
            try:
                data = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return None
        elif request.method == "GET" and "query" in request.query_params:
            params = request.query_params
            try:
                variables = orjson.loads(params.get("variables") or "null")
            except orjson.JSONDecodeError:
                return None
            data = {
                "query": params["query"],
                "variables": variables,
                "operationName": params.get("operationName"),
            }
        else:
            return None
        if not isinstance(data, dict) or data.get("extensions"):
            return None  # a batch, or extensions this cache knows nothing of
        query, variables, operation = (
            data.get("query"),
            data.get("variables"),
            data.get("operationName"),
        )
        if not isinstance(query, str) or not isinstance(variables, dict | None):
            return None
        if not isinstance(operation, str | None):
            return None
        plan = self.plans.get(query, operation)
        if plan is None:
            return None
        token = bearer_token(request.headers.get("authorization"))
        roles = ",".join(sorted(self.authenticator.roles_for(token)))
        head = self.chain.reader.head
        key = cache_key(plan, variables, head, roles)
        if key is None:
            return None
        if not key[3]:
            return key, None
        if not roles:
            self._count_hot(key, query, operation, variables, plan)
        return key, head

    def _count_hot(
        self,
        key: CacheKey,
        query: str,
        operation: str | None,
        variables: dict[str, Any] | None,
        plan: QueryPlan,
    ) -> None:
        hot_key = (key[0], key[1], key[2])
        hot = self._hot.get(hot_key)
        if hot is None:
            if len(self._hot) >= HOT_QUERIES_TRACKED:
                return
            hot = self._hot[hot_key] = HotQuery(query, operation, variables, plan)
        hot.count += 1

    async def warm(self, ref: BlockRef) -> None:
        """Render at `ref`, before the follower announces it, the anonymous head queries asked
        most at the previous head, so that their first askers at `ref` hit the cache."""
        responses = self.responses
        if responses is None or not self.authenticator.reads_open:
            return  # closed reads: an anonymous answer is an error, never kept
        asked = sorted(self._hot.values(), key=lambda h: h.count, reverse=True)
        chosen = [h for h in asked if h.count > 1][:PRERENDER_QUERIES] or self._last_hot
        self._hot, self._last_hot = {}, chosen
        for hot in chosen:
            # `chain` reads the node's runtime at the reader's head, which has not moved yet.
            if "chain" in hot.plan.root_fields:
                continue
            key = cache_key(hot.plan, hot.variables, ref, "")
            if key is None or responses.get(key) is not None:
                continue
            context = Context(
                settings=self.settings,
                reader=HeadPinnedReader(self.chain.reader, ref),
                request_id=f"warm-{ref.number}",
                head_age=self.chain.head_age,
                events=self.chain.hub,
            )
            result = await self.schema.execute(
                hot.query,
                variable_values=hot.variables,
                context_value=context,
                operation_name=hot.operation_name,
            )
            if not result.errors:
                responses.put(key, orjson.dumps(process_result(result)))
                metrics.RESPONSE_CACHE_PRERENDERED.inc()

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            request.state.graphql_errors = True  # not an answer for the response cache
        return await super().process_result(request, result)

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


def _cached_response(body: bytes, outcome: str) -> Response:
    return Response(body, media_type="application/json", headers={"x-pylon-cache": outcome})


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
        "watcher": status.get("watcher", {"state": "unknown"}),
        "committer": status.get("committer", {"state": "unknown"}),
    }
    return (200 if state == "ok" else 503), body


def create_app(settings: Settings, chain: ServedChain) -> Starlette:
    """The app; its lifespan starts and stops `chain`."""
    graphql = PylonGraphQL(settings, chain)
    warmers = getattr(chain, "warmers", None)
    if isinstance(warmers, list):
        warmers.append(graphql.warm)  # the follower renders hot head queries before announcing

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
