"""The response cache as the GraphQL view sees it: one call, `serve(request, execute)`.

It reads the request (POST JSON or GET query string), plans the document, keys it by what fixes
its answer (the caller's roles, and the head for head-defaulting queries) and answers from the
store, from a concurrent execution of the same key, or by running `execute` pinned at the head
the key names. Anything it cannot key (a mutation, a batch, a body that is not a JSON object)
goes to `execute` untouched. A kept answer goes out as `delivery.py` says (gzip, ETag, 304,
Cache-Control).

A request answered from the store is remembered by its raw bytes (`raw.py`); `hit(raw)` is then
all the fast lane in front of the app (`http/fast_lane.py`) needs to serve it again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import metrics
from ..models import BlockRef
from .answer import Answer
from .delivery import Asked, accepts_gzip, deliver, freshness
from .plan import CacheKey, PlanCache, cache_key
from .prerender import HotQuery, Prerenderer
from .raw import KeyTemplate, RawIndex, RawKey
from .store import AnswerStore, Executed

#: Runs the request, with the head pinned when the key names one (None: the reader's own).
Execute = Callable[[BlockRef | None], Awaitable[Executed[Response]]]
#: The request metrics' label of an operation: (its name, whether its caller has a role).
OperationLabel = Callable[[str | None, bool], str]

CACHE_HEADER = "x-pylon-cache"

#: Hits of the fast lane, counted in a plain int (`metrics.PendingCounter`).
_HITS = metrics.pending_counter(metrics.RESPONSE_CACHE_REQUESTS.labels("hit"))


#: A kept answer the fast lane found, the key template and the key it was found by.
Found = tuple[Answer, KeyTemplate, CacheKey]


class ResponseCache:
    def __init__(
        self,
        answers: AnswerStore,
        plans: PlanCache,
        prerenderer: Prerenderer,
        roles_of: Callable[[str | None], str],
        operation_label: OperationLabel,
        *,
        block_time: float,
    ) -> None:
        """`roles_of`: the roles of an `Authorization` header, as one string (part of the key);
        `operation_label`: the label an answer from the cache counts under in the request
        metrics, the one its execution would have counted under; `block_time`: seconds between
        blocks (how long a head answer holds)."""
        self.answers = answers
        self.plans = plans
        self.prerenderer = prerenderer
        self.raw = RawIndex()
        self.roles_of = roles_of
        self.block_time = block_time
        self._operation_label = operation_label
        # A head answer's Cache-Control by whole seconds left until the next block: one of
        # these, not formatted per request.
        self._head_public = _countdown(block_time, private=False)
        self._head_private = _countdown(block_time, private=True)

    # --- the fast lane's part: a kept answer for a raw request, or None

    def find(self, raw: RawKey) -> Found | None:
        """The kept answer of a request seen before; None when the request must be keyed and
        served the long way (never seen, not kept, no head yet). Changes nothing: the fast lane
        calls `count` once it answers."""
        template = self.raw.get(raw)
        if template is None:
            return None
        key = template.key_at(self.prerenderer.head) if template.at_head else template.key
        if key is None:
            return None
        answer = self.answers.get(key)
        if answer is None:
            return None
        return answer, template, key

    def count(self, template: KeyTemplate, key: CacheKey, seconds: float) -> None:
        """Counts a kept answer the fast lane served in `seconds`, as the long way counts
        what it serves."""
        _HITS.count += 1
        template.hits.observe(seconds)
        if template.hot is not None:
            self.prerenderer.hot.count(key, template.hot)

    def cache_control(self, template: KeyTemplate) -> tuple[bytes, float]:
        """The `Cache-Control` of the template's answers, and for how many more seconds at most
        that value holds (at the same head)."""
        private = template.key[4]
        if not template.at_head:
            return (_PINNED_PRIVATE if private else _PINNED_PUBLIC), math.inf
        left = self.block_time - (time.monotonic() - self.prerenderer.head_since)
        countdown = self._head_private if private else self._head_public
        whole = math.ceil(left)
        if whole <= 0:
            return countdown[0], math.inf  # overdue: max-age=0 until the next head
        if whole < len(countdown):
            return countdown[whole], left - (whole - 1)
        return freshness(pinned=False, private=bool(private), seconds_left=left), 1.0

    # --- the GraphQL view's one call

    async def serve(self, request: Request, execute: Execute) -> Response:
        started = time.perf_counter()
        roles = self.roles_of(request.headers.get("authorization"))
        keyed = await self._template(request, roles)
        key = None if keyed is None else keyed[0].key_at(self.prerenderer.head)
        if keyed is None or key is None:
            metrics.RESPONSE_CACHE_REQUESTS.labels("bypass").inc()
            return (await execute(None)).answer
        template, raw = keyed
        if template.hot is not None:
            self.prerenderer.hot.count(key, template.hot)
        head = self.prerenderer.head if template.at_head else None
        # An execution of this request counts as a miss (the schema's metrics read this).
        setattr(request.state, metrics.CACHE_STATE, "miss")
        answer, outcome = await self.answers.serve(key, lambda: execute(head))
        metrics.RESPONSE_CACHE_REQUESTS.labels(outcome).inc()
        if not isinstance(answer, Answer):
            answer.headers[CACHE_HEADER] = outcome
            return answer
        # Remembered once it answered from the store: the fast lane finds it from now on.
        self.raw.remember(raw, template)
        if outcome in ("hit", "shared"):
            # Nothing executed for this request, so the schema counted nothing: count it here,
            # under the label its execution had.
            template.hits.observe(time.perf_counter() - started)
        asked = Asked(
            revalidates=request.method == "GET",
            accepts_gzip=accepts_gzip(request.headers.get("accept-encoding")),
            if_none_match=_latin1(request.headers.get("if-none-match")),
        )
        status, headers, body = deliver(
            answer, asked, outcome=outcome.encode(), cache_control=self.cache_control(template)[0]
        )
        response = Response(body, status_code=status)
        response.raw_headers = headers
        return response

    async def _template(self, request: Request, roles: str) -> tuple[KeyTemplate, RawKey] | None:
        """The key template of a request and its raw form; None when it is not a cacheable
        query."""
        data = await _graphql_request(request)
        if data is None:
            return None
        query, variables, operation = data
        raw: RawKey = (
            request.method,
            await request.body() if request.method == "POST" else request.scope["query_string"],
            roles,
        )
        template = self.raw.get(raw)
        if template is not None:
            return template, raw
        plan = self.plans.get(query, operation)
        if plan is None:
            return None
        # Keyed at a stand-in head, whose hash is then left blank: `KeyTemplate.key_at` fills
        # in the head a request is answered at.
        key = cache_key(plan, variables, _NO_HEAD, roles)
        if key is None:
            return None  # variables too large to key by
        key = (key[0], key[1], key[2], "", key[4])
        at_head = plan.at_head(variables or {})
        hot = HotQuery(query, operation, variables, plan) if at_head and not roles else None
        label = self._operation_label(plan.name, bool(roles))
        return KeyTemplate(key, at_head, label, hot, plan.name), raw


_PINNED_PUBLIC = freshness(pinned=True, private=False, seconds_left=0)
_PINNED_PRIVATE = freshness(pinned=True, private=True, seconds_left=0)


def _countdown(block_time: float, *, private: bool) -> list[bytes]:
    """A head answer's Cache-Control values, by whole seconds left (0 to the block time)."""
    return [
        freshness(pinned=False, private=private, seconds_left=left)
        for left in range(math.ceil(block_time) + 1)
    ]


#: A head to key a head query by before the real one is filled in.
_NO_HEAD = BlockRef(0, "")


def _latin1(value: str | None) -> bytes | None:
    return None if value is None else value.encode("latin-1")


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
