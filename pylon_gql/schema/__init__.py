"""The GraphQL schema: types and queries, with the serving defaults the settings ask for."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from ..logs import note_operation
from ..metrics import GRAPHQL_LATENCY, GRAPHQL_REQUESTS, OperationLabels, cache_label
from ..settings import Settings
from .context import Context, Info
from .deadline import ChainDeadline
from .errors import classify
from .execution import PlainListExecutor
from .limits import RequestLimits, ValidationCacheAfterLimits
from .mutations import Mutation
from .operation_name import OperationNameRequired
from .over_http import SubscriptionsOverWebsockets
from .parsing import ParserCacheReportingErrors
from .permissions import ReadAccess, read_refused
from .queries import Query
from .subscriptions import Subscription
from .turns import DeliveryTurnsExtension
from .types import BIG_INT, BigInt
from .weights import WeightQuery

__all__ = ["Context", "Info", "PylonSchema", "create_schema", "schema_sdl"]

#: Documents parsed and validated once and kept, by text.
DOCUMENT_CACHE_SIZE = 256
#: The chain's queries and the validator's weights, as one root type.
ROOT_QUERY = strawberry.type(
    # What strawberry's merge_types makes, with the description it does not take.
    type("Query", (Query, WeightQuery), {}),
    description="Reads: the chain at a block (the latest finalized head when none is given), "
    "every answer saying which block it is for; and the validator's weights from the "
    "server's database.",
)


class PylonSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = context.request_id if isinstance(context, Context) else "-"
        classify(errors, request_id)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """Streams (subscriptions, over websockets or HTTP) need a role when reads are closed."""
        refused = read_refused(context_value)
        if refused is None:
            return await super().stream(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                operation_extensions,
                allowed_operation_types,
            )

        async def refuse() -> StreamResult:
            yield PreExecutionError(data=None, errors=[refused])

        return refuse()


class OperationMetrics(SchemaExtension):
    """Counts operations by name and outcome, and times them. Which names are labels is the
    schema's `OperationLabels` (pylon_gql/metrics.py): configured ones, and a bounded set learned
    from callers, those without a token unable to crowd out the rest."""

    def __init__(self, *, labels: OperationLabels) -> None:
        self.labels = labels

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        name = self._label(self.execution_context)
        outcome = "error" if self.execution_context.pre_execution_errors else "ok"
        cache = cache_label(getattr(self.execution_context.context, "request", None))
        GRAPHQL_REQUESTS.labels(name, outcome, cache).inc()
        GRAPHQL_LATENCY.labels(name, cache).observe(time.perf_counter() - started)

    def _label(self, execution_context: ExecutionContext) -> str:
        try:
            name = execution_context.operation_name
        except Exception:  # an unparsable document has no operation
            name = None
        note_operation(name)  # for the request's log lines
        context = execution_context.context
        roles = context.roles if isinstance(context, Context) else frozenset()
        reads_open = not isinstance(context, Context) or context.settings.reader_tokens is None
        return self.labels.label(name, authenticated=bool(roles), anonymous_may_add=reads_open)


def _config() -> StrawberryConfig:
    return StrawberryConfig(
        disable_field_suggestions=True,
        scalar_map={BigInt: BIG_INT},
    )


def create_schema(
    settings: Settings, operation_labels: OperationLabels | None = None
) -> PylonSchema:
    """The served schema: limits, caches, error handling and metrics from the settings;
    `operation_labels`: the labels' state, when the view labels response-cache hits too."""
    # Rule classes made once, so the validation cache recognises them on every request.
    rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_query_depth, None),
        max_aliases_rule(settings.max_aliases),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    max_tokens = settings.max_tokens
    labels = operation_labels or OperationLabels(settings.metric_operation_names)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: OperationMetrics(labels=labels),
        # Before the parser and the validation cache: its checks run before their work.
        lambda: RequestLimits(settings=settings),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCacheReportingErrors(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCacheAfterLimits(maxsize=DOCUMENT_CACHE_SIZE),
        ReadAccess,
        lambda: ChainDeadline(seconds=settings.chain_timeout),
        # After the validation cache, which sets a cached document's (lack of) errors.
        OperationNameRequired,
        SubscriptionsOverWebsockets,
        DeliveryTurnsExtension,
    ]
    return PylonSchema(
        query=ROOT_QUERY,
        mutation=Mutation,
        subscription=Subscription,
        config=_config(),
        extensions=extensions,
        execution_context_class=PlainListExecutor,
    )


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as `schema.graphql` holds it."""
    schema = PylonSchema(
        query=ROOT_QUERY, mutation=Mutation, subscription=Subscription, config=_config()
    )
    return schema.as_str() + "\n"
