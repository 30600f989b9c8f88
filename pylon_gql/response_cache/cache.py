"""The response cache as the GraphQL view sees it: one call, `serve(request, execute)`.

It reads the request (POST JSON or GET query string), plans the document, keys it by what fixes
its answer (the caller's roles, and the head for head-defaulting queries) and answers from the
store, from a concurrent execution of the same key, or by running `execute` pinned at the head
the key names. Anything it cannot key (a mutation, a batch, a body that is not a JSON object)
goes to `execute` untouched.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import metrics
from ..models import BlockRef
from .plan import CacheKey, PlanCache, cache_key
from .prerender import HotQuery, Prerenderer
from .store import AnswerStore, Executed, Outcome

#: Runs the request, with the head pinned when the key names one (None: the reader's own).
Execute = Callable[[BlockRef | None], Awaitable[Executed[Response]]]
#: The request metrics' label of an operation: (its name, whether its caller has a role).
OperationLabel = Callable[[str | None, bool], str]

CACHE_HEADER = "x-pylon-cache"


@dataclass(frozen=True, slots=True)
class _Keyed:
    key: CacheKey
    #: The head the answer is fixed at (None: it does not depend on the head).
    head: BlockRef | None
    #: The operation's own name, and whether the caller has a role (for the request metrics).
    operation: str | None
    authenticated: bool


class ResponseCache:
    def __init__(
        self,
        answers: AnswerStore,
        plans: PlanCache,
        prerenderer: Prerenderer,
        roles_of: Callable[[Request], str],
        operation_label: OperationLabel,
    ) -> None:
        """`roles_of`: the caller's roles, as one string (part of the key); `operation_label`:
        the label an answer from the cache counts under in the request metrics, the one its
        execution would have counted under."""
        self.answers = answers
        self.plans = plans
        self.prerenderer = prerenderer
        self._roles_of = roles_of
        self._operation_label = operation_label

    async def serve(self, request: Request, execute: Execute) -> Response:
        started = time.perf_counter()
        keyed = await self._key(request)
        if keyed is None:
            metrics.RESPONSE_CACHE_REQUESTS.labels("bypass").inc()
            return (await execute(None)).answer
        # An execution of this request counts as a miss (the schema's metrics read this).
        setattr(request.state, metrics.CACHE_STATE, "miss")
        answer, outcome = await self.answers.serve(keyed.key, lambda: execute(keyed.head))
        metrics.RESPONSE_CACHE_REQUESTS.labels(outcome).inc()
        if outcome in ("hit", "shared"):
            # Nothing executed for this request, so the schema counted nothing: count it here,
            # under the label its execution had.
            name = self._operation_label(keyed.operation, keyed.authenticated)
            metrics.GRAPHQL_REQUESTS.labels(name, "ok", "hit").inc()
            metrics.GRAPHQL_LATENCY.labels(name, "hit").observe(time.perf_counter() - started)
        return _response(answer, outcome)

    async def _key(self, request: Request) -> _Keyed | None:
        """The request's key and the head it pins; None when it is not a cacheable query."""
        data = await _graphql_request(request)
        if data is None:
            return None
        query, variables, operation = data
        plan = self.plans.get(query, operation)
        if plan is None:
            return None
        roles = self._roles_of(request)
        head = self.prerenderer.head
        key = cache_key(plan, variables, head, roles)
        if key is None:
            return None
        if not key[3]:
            return _Keyed(key, None, plan.name, bool(roles))
        if not roles:
            self.prerenderer.hot.count(key, HotQuery(query, operation, variables, plan))
        return _Keyed(key, head, plan.name, bool(roles))


def _response(answer: bytes | Response, outcome: Outcome) -> Response:
    if isinstance(answer, bytes):
        answer = Response(answer, media_type="application/json")
    answer.headers[CACHE_HEADER] = outcome
    return answer


async def _graphql_request(
    request: Request,
) -> tuple[str, Mapping[str, Any] | None, str | None] | None:
    """(query, variables, operation name) of a single GraphQL request; None for anything the
    cache knows nothing of (a batch, extensions, a streamed subscription, bad JSON)."""
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
        return None
    query, variables, operation = (
        data.get("query"),
        data.get("variables"),
        data.get("operationName"),
    )
    if not isinstance(query, str) or not isinstance(variables, dict | None):
        return None
    if not isinstance(operation, str | None):
        return None
    return query, variables, operation
