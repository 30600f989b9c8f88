"""The response cache's parts alone: which queries it keeps and by what, and its byte bound."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.models import BlockRef
from pylon_gql.response_cache import (
    ENTRY_OVERHEAD,
    AnswerStore,
    CacheKey,
    Executed,
    PlanCache,
    QueryPlan,
    Uncacheable,
    cache_key,
    plan_query,
)

HEAD = BlockRef(100, "0x" + "11" * 32)


def plan(document: str, operation: str | None = None) -> QueryPlan:
    return plan_query(document, operation, max_tokens=4000)


@pytest.mark.parametrize(
    "document",
    [
        "mutation { setWeights }",
        "subscription { newBlock { number } }",
        "{ metagraph { neuronCount } weights { uid } }",  # a root field it does not know
        "{ chain { ...Age } } fragment Age on Chain { headAgeSeconds }",
        "{ ...Root } fragment Root on Query { chain { headAgeSeconds } }",
        "{ metagraph { ",  # does not parse
        "query A { head { number } } query B { head { number } }",  # which one?
    ],
)
def test_what_is_not_cached(document: str) -> None:
    with pytest.raises(Uncacheable):
        plan(document)


@pytest.mark.parametrize(
    ("document", "variables", "at_head"),
    [
        ("{ metagraph { neuronCount } }", {}, True),
        ("{ metagraph(block: 5) { neuronCount } }", {}, False),
        ("{ metagraph(block: null) { neuronCount } }", {}, True),
        ("query($b: Int) { metagraph(block: $b) { neuronCount } }", {"b": 5}, False),
        ("query($b: Int) { metagraph(block: $b) { neuronCount } }", {"b": None}, True),
        ("query($b: Int) { metagraph(block: $b) { neuronCount } }", {}, True),
        ("query($b: Int = 7) { metagraph(block: $b) { neuronCount } }", {}, False),
        ("query($b: Int = 7) { metagraph(block: $b) { neuronCount } }", {"b": None}, True),
        ("{ metagraph(block: 5) { neuronCount } epoch { index } }", {}, True),
        ("{ block(number: 5) { hash } }", {}, False),
        ('{ block(hash: "0xab") { number } }', {}, True),  # unknown hashes answer null
        ("{ head { number } }", {}, True),
        ("{ chain { network } }", {}, True),
        ("{ __typename }", {}, False),
        ("{ ... on Query { ...F } } fragment F on Query { subnet(block: 3) { name } }", {}, False),
        ("{ ...F } fragment F on Query { subnet { name } }", {}, True),
    ],
)
def test_when_an_answer_depends_on_the_head(
    document: str, variables: dict[str, object], at_head: bool
) -> None:
    query_plan = plan(document)
    assert query_plan.at_head(variables) is at_head
    key = cache_key(query_plan, variables, HEAD, "")
    assert key is not None
    assert key[3] == (HEAD.hash if at_head else "")


def test_the_key_normalises_the_document_and_the_variables() -> None:
    a = plan("query Q($u: Int) {neuron(uid: $u, block: 5) {uid, hotkey}}", "Q")
    b = plan("query Q( $u : Int ) {\n  neuron(uid: $u block: 5) { uid hotkey }\n}\n", "Q")
    assert a.document == b.document
    assert cache_key(a, {"u": 1, "x": 2}, HEAD, "") == cache_key(b, {"x": 2, "u": 1}, HEAD, "")
    assert cache_key(a, {"u": 1}, HEAD, "") != cache_key(a, {"u": 2}, HEAD, "")
    assert cache_key(a, {"u": 1}, HEAD, "") != cache_key(a, {"u": 1}, HEAD, "validator")


def test_no_key_for_the_head_before_there_is_one() -> None:
    assert cache_key(plan("{ head { number } }"), None, None, "") is None
    assert cache_key(plan("{ block(number: 1) { hash } }"), None, None, "") is not None


def test_plans_are_kept_per_document() -> None:
    plans = PlanCache(max_tokens=4000, size=2)
    first = plans.get("{ head { number } }", None)
    assert plans.get("{ head { number } }", None) is first
    assert plans.get("mutation { x }", None) is None
    plans.get("{ subnet { name } }", None)
    assert plans.get("{ head { number } }", None) is not first  # evicted, planned again


def key(n: int) -> CacheKey:
    return (f"doc{n}", "", b"{}", "", "")


def cost(n: int, body: bytes) -> int:
    return len(body) + len(f"doc{n}") + 2 + ENTRY_OVERHEAD


def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    body = b"x" * 1000
    cache = AnswerStore(max_bytes=3 * cost(0, body))
    for n in range(3):
        cache.put(key(n), body)
    assert len(cache) == 3 and cache.size == 3 * cost(0, body)
    assert cache.get(key(0)) == body  # 0 is now the most recently used
    cache.put(key(3), body)
    assert cache.get(key(1)) is None
    assert [cache.get(key(n)) for n in (0, 2, 3)] == [body] * 3
    assert cache.size <= cache.max_bytes
    cache.put(key(4), b"y" * (4 * len(body)))  # larger than the whole cache: not kept
    assert cache.get(key(4)) is None and len(cache) == 3


async def test_concurrent_askers_share_one_execution_or_run_their_own() -> None:
    cache = AnswerStore(max_bytes=10_000)
    release = asyncio.Event()
    runs: list[str] = []

    def execution(name: str, body: bytes | None):
        async def execute() -> Executed[str]:
            runs.append(name)
            await release.wait()
            return Executed(f"{name}'s own answer", body)

        return execute

    leader = asyncio.ensure_future(cache.serve(key(1), execution("leader", b"answer")))
    await asyncio.sleep(0)
    assert cache.in_flight(key(1))
    waiter = asyncio.ensure_future(cache.serve(key(1), execution("waiter", b"answer")))
    await asyncio.sleep(0)
    release.set()
    assert await leader == ("leader's own answer", "miss")
    assert await waiter == (b"answer", "shared")
    assert runs == ["leader"]
    assert await cache.serve(key(1), execution("late", b"other")) == (b"answer", "hit")
    assert not cache.in_flight(key(1))

    # An execution with nothing worth sharing (errors): the waiter runs its own, nothing is kept.
    release.clear()
    runs.clear()
    leader = asyncio.ensure_future(cache.serve(key(2), execution("leader", None)))
    await asyncio.sleep(0)
    waiter = asyncio.ensure_future(cache.serve(key(2), execution("waiter", None)))
    await asyncio.sleep(0)
    release.set()
    assert await leader == ("leader's own answer", "miss")
    assert await waiter == ("waiter's own answer", "bypass")
    assert runs == ["leader", "waiter"]
    assert cache.get(key(2)) is None
