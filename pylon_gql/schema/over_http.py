"""A subscription sent over plain HTTP is refused with a request error, not run as a query.

Strawberry executes such a document like a query (a POST, a GET, or GraphiQL after an edit),
and the subscription's resolver, an async generator, then answers "Cannot return null for
non-nullable field" with a traceback in the log. Subscriptions run over the websocket at the
same path; the error says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from .errors import ErrorCode


class SubscriptionsOverWebsockets(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        over_http = request is not None and not isinstance(request, WebSocket)
        if over_http and not context.pre_execution_errors and _is_subscription(context):
            # Set before validation runs: strawberry then skips it and executes nothing.
            context.pre_execution_errors = [
                GraphQLError(
                    "subscriptions run over a websocket at /graphql (graphql-transport-ws, or "
                    "graphql-ws), not over HTTP: open one and send this document there",
                    extensions={"code": ErrorCode.BAD_REQUEST.value},
                )
            ]
        yield


def _is_subscription(context: object) -> bool:
    try:
        return getattr(context, "operation_type", None) is OperationType.SUBSCRIPTION
    except Exception:  # no such operation, or several unnamed: other rules answer those
        return False
