"""The response cache: encoded answers of read-only queries, kept by what fixes them.

- `plan`: what a query's answer depends on, and the key it is kept under;
- `store`: the answers, bounded by bytes, one execution per missing key;
- `cache`: the one entry point of the GraphQL view, `ResponseCache.serve(request, execute)`;
- `prerender`: the hot head queries, rendered at each new head before it is served;
- `pinned`: the chain reader at the head a key names.
"""

from .cache import CACHE_HEADER, ResponseCache
from .pinned import HeadPinnedReader
from .plan import CacheKey, PlanCache, QueryPlan, Uncacheable, cache_key, plan_query
from .prerender import HotQuery, Prerenderer
from .store import ENTRY_OVERHEAD, AnswerStore, Executed

__all__ = [
    "CACHE_HEADER",
    "ENTRY_OVERHEAD",
    "AnswerStore",
    "CacheKey",
    "Executed",
    "HeadPinnedReader",
    "HotQuery",
    "PlanCache",
    "Prerenderer",
    "QueryPlan",
    "ResponseCache",
    "Uncacheable",
    "cache_key",
    "plan_query",
]
