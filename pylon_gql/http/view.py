"""The GraphQL view: strawberry's ASGI view with this server's context, websocket admission and
token roles, orjson encoding, and the response cache in front of execution."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from ..auth import Authenticator, bearer_token
from ..graphiql.assets import locations as graphiql_locations
from ..logs import note_operation
from ..metrics import OperationLabels
from ..models import BlockRef
from ..response_cache import (
    AnswerStore,
    Executed,
    HeadPinnedReader,
    HotQuery,
    PlanCache,
    Prerenderer,
    ResponseCache,
)
from ..schema import Context, create_schema
from ..schema.context import Reader
from ..schema.deadline import REQUEST_TIMEOUT
from ..schema.errors import bounded, operation_not_found
from ..schema.turns import DELIVERY_CONCURRENCY, DeliveryTurns
from ..settings import Settings
from .graphiql import GraphiQLFiles
from .limits import graphql_error
from .middleware import request_id_of
from .served import RunningServices
from .websocket import TRY_AGAIN_LATER_CODE, LegacyWSHandler, TransportWSHandler
from .ws_admission import SLOT_KEY, Admission


class PylonGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings, services: RunningServices) -> None:
        #: Shared by the schema's request metrics and the response cache's hits.
        self.operation_labels = OperationLabels(settings.metric_operation_names)
        super().__init__(
            create_schema(settings, self.operation_labels),
            graphql_ide="graphiql" if settings.graphiql else None,
            # Pings keep an idle subscription's connection open through proxies.
            keep_alive=settings.ws_keep_alive_interval > 0,
            keep_alive_interval=settings.ws_keep_alive_interval,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
        )
        self.settings = settings
        self.services = services
        self.graphiql = GraphiQLFiles(graphiql_locations(settings.data_dir))
        # On `sim` with no tokens configured, Services makes dev tokens (and logs them).
        self.authenticator = Authenticator(settings, extra=services.dev_tokens)
        self.responses = self._response_cache() if settings.response_cache_bytes else None
        self.ws_send_timeout = settings.ws_send_timeout
        self.ws_admission = Admission(settings.ws_max_connections)
        #: Connections executing a subscription result at once, server-wide (schema/turns.py).
        self.deliveries = asyncio.Semaphore(DELIVERY_CONCURRENCY)
        #: Connections setting up a new operation at once (http/websocket.py).
        self.operation_starts = asyncio.Semaphore(DELIVERY_CONCURRENCY)

    def _response_cache(self) -> ResponseCache:
        answers = AnswerStore(self.settings.response_cache_bytes)
        prerenderer = Prerenderer(
            self.services.hub,
            answers,
            self._render,
            chain_head=lambda: self.services.reader.head,
            enabled=self.authenticator.reads_open,
        )
        plans = PlanCache(
            self.settings.max_tokens, max_document_bytes=self.settings.max_document_bytes
        )
        return ResponseCache(
            answers,
            plans,
            prerenderer,
            roles_of=self.roles_key,
            operation_label=self._operation_label,
            # How long an answer at the head holds: until the next block.
            block_time=self.settings.sim_block_time if self.settings.simulated else 12.0,
        )

    def roles_key(self, authorization: str | None) -> str:
        """The roles an `Authorization` header grants, as one string (part of cache keys)."""
        if authorization is None:
            return ""
        return ",".join(sorted(self.authenticator.roles_for(bearer_token(authorization))))

    def _operation_label(self, name: str | None, authenticated: bool) -> str:
        # As the schema's OperationMetrics labels an execution.
        note_operation(name)  # for the request's log lines
        reads_open = self.settings.reader_tokens is None
        return self.operation_labels.label(
            name, authenticated=authenticated, anonymous_may_add=reads_open
        )

    # --- websocket admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        # A connection takes one of PYLON_WS_MAX_CONNECTIONS once its connection_init is
        # accepted; until then it is pending, bounded apart (ws_admission.py).
        if self.ws_admission.full:
            websocket = WebSocket(scope, receive=receive, send=send)
            await websocket.accept(subprotocol=await self.pick_websocket_subprotocol(websocket))
            await websocket.close(TRY_AGAIN_LATER_CODE, "too many connections; retry later")
            return
        slot = scope[SLOT_KEY] = self.ws_admission.enter()
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ws_admission.leave(slot)

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        # Ours in order of preference (graphql-transport-ws first), not the client's.
        offered = set(request["subprotocols"])
        return next((p for p in self.websocket_subprotocols if p in offered), None)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Its files from this server when fetched (http/graphiql.py), this API's examples.
        return self.graphiql.page()

    # --- context and roles

    def _context(
        self,
        reader: Reader,
        request_id: str,
        request: Request | WebSocket | None = None,
        response: Response | WebSocket | None = None,
    ) -> Context:
        return Context(
            settings=self.settings,
            reader=reader,
            request_id=request_id,
            head_age=self.services.head_age,
            events=self.services.hub,
            request=request,
            response=response,
            writes=self.services.writes,
            turns=DeliveryTurns(self.deliveries),
            served_head=None if self.responses is None else self._served_head,
        )

    def _served_head(self) -> BlockRef | None:
        # Queries naming no block answer at the response cache's head (prerender.py).
        return None if self.responses is None else self.responses.prerenderer.head

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        reader: Reader = self.services.reader
        pinned: BlockRef | None = getattr(request.state, "pinned_head", None)
        if pinned is not None:
            reader = HeadPinnedReader(reader, pinned)
        context = self._context(reader, request_id_of(request), request, response)
        token = bearer_token(request.headers.get("authorization"))
        context.roles = self.authenticator.roles_for(token)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Roles from the `connection_init` payload: `{"authorization": "Bearer <token>"}` or
        `{"token": "<token>"}`. A token that grants no role refuses the connection (4403), and
        so does no token at all (nor one in the handshake's header) while reads are closed:
        such a connection could do nothing but hold a slot."""
        params = context.connection_params or {}
        authorization = params.get("authorization", params.get("Authorization"))
        token = bearer_token(authorization) if isinstance(authorization, str) else None
        if token is None and isinstance(params.get("token"), str):
            token = str(params["token"]).strip() or None
        if token is None:
            if not context.roles and not self.authenticator.reads_open:
                raise ConnectionRejectionError(
                    {
                        "message": "reading needs a token: send `authorization: Bearer <token>` "
                        "in connection_init's payload, a token from PYLON_READER_TOKENS (or of "
                        "any other role)"
                    }
                )
            return UNSET  # anonymous: public subscriptions only (or the handshake's header)
        roles = self.authenticator.roles_for(token)
        if not roles:
            raise ConnectionRejectionError({"message": "unknown token"})
        context.roles = roles
        return {"roles": sorted(roles)}

    # --- execution, through the response cache

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)  # type: ignore[arg-type, call-overload]
        try:
            return await self._run_http(request, context, root_value)
        except HTTPException as refused:
            # Malformed requests answer as GraphQL errors (strawberry's are plain text), and
            # echo what they refuse (an operation name) only cut.
            cause = refused.__cause__
            if isinstance(cause, CannotGetOperationTypeError):
                message = operation_not_found(cause)
            else:
                message = bounded(_SAY_WHAT_TO_DO.get(refused.reason, refused.reason))
            return _error_response(refused.status_code, message, "BAD_REQUEST")

    async def _run_http(
        self, request: Request, context: Context | UnsetType, root_value: UnsetType | None
    ) -> Response:
        responses = self.responses
        if responses is None or context is not UNSET:
            return await self._execute_within_timeout(request, context, root_value)
        plain = request

        async def execute(head: BlockRef | None) -> Executed[Response]:
            plain.state.pinned_head = head
            response = await self._execute_within_timeout(plain)
            answer = response.body
            errors = getattr(plain.state, "graphql_errors", False)
            keep = response.status_code == 200 and not errors and isinstance(answer, bytes)
            return Executed(response, bytes(answer) if keep else None)

        return await responses.serve(request, execute)

    async def _execute_within_timeout(
        self,
        request: Request,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response:
        timeout = self.settings.request_timeout
        limit = asyncio.timeout(timeout)
        scheduled = None
        try:
            async with limit:
                scheduled = limit.when()
                # a field allowed longer (`history`) moves `limit` out (schema.deadline)
                token = REQUEST_TIMEOUT.set(limit)
                try:
                    response = await super().run(request, context, root_value)  # type: ignore[arg-type, call-overload]
                finally:
                    REQUEST_TIMEOUT.reset(token)
        except TimeoutError:
            # a `history` series moved the limit out (schema.deadline.longer_deadline)
            seconds, setting = (
                (self.settings.history_timeout, "PYLON_HISTORY_TIMEOUT")
                if limit.when() != scheduled
                else (timeout, "PYLON_REQUEST_TIMEOUT")
            )
            return _error_response(
                504,
                f"the request ran longer than {seconds:g} s ({setting}); ask for less, or retry",
                "TIMEOUT",
            )
        assert isinstance(response, Response)
        return response

    def decode_json(self, data: str | bytes) -> object:
        """orjson first: it refuses invalid UTF-8, lone surrogates and nesting past 1024 levels
        (400). What only Python's parser takes, NaN, Infinity and numbers past a double's range,
        is taken as Python takes it (clients' json.dumps writes them): GraphQL's Float then
        refuses them as BAD_USER_INPUT, naming the variable. A body that is JSON but neither an
        object nor a batch is refused as well."""
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            try:
                decoded = json.loads(data)
                orjson.dumps(decoded)  # what orjson cannot write back is no request of ours
            except (ValueError, TypeError, RecursionError) as error:
                raise HTTPException(400, "the request body is not valid JSON") from error
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return decoded

    async def _render(self, hot: HotQuery, ref: BlockRef) -> bytes | None:
        """A hot head query's anonymous answer at `ref`, for the pre-renderer."""
        context = self._context(
            HeadPinnedReader(self.services.reader, ref), request_id=f"warm-{ref.number}"
        )
        result = await self.schema.execute(
            hot.query,
            variable_values=dict(hot.variables) if hot.variables is not None else None,
            context_value=context,
            operation_name=hot.operation_name,
        )
        return None if result.errors else orjson.dumps(process_result(result))

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


#: Strawberry's refusals of a malformed request, in words that say what to send instead.
_SAY_WHAT_TO_DO = {
    "Unsupported content type": "send the request as JSON (`content-type: application/json`) "
    "with POST, or with GET and the query in the URL",
    "Batching is not enabled": "send one operation per request: batches (a JSON array) are "
    "not taken",
    "No GraphQL query found in the request": "the request has no `query`: send the document in it",
}


def _error_response(status: int, message: str, code: str) -> Response:
    status, body = graphql_error(status, message, code)
    return Response(body, status_code=status, media_type="application/json")
