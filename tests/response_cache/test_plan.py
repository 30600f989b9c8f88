"""Query plans: which queries the response cache keeps, and by what key."""

from __future__ import annotations

import pytest

from pylon_gql.models import BlockRef
from pylon_gql.response_cache import (
    PlanCache,
    QueryPlan,
    Uncacheable,
    cache_key,
    plan_query,
)
from pylon_gql.response_cache.plan import ENTRY_OVERHEAD as PLAN_OVERHEAD

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
        "{ chain { stale } }",  # flips when no block comes
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
        # a later epoch past the head is predicted from the head, whatever block asked
        ("{ subnets(block: 3) { epoch { next { start } } } }", {}, True),
        (
            "{ metagraph(block: 3) { ...E } } fragment E on Metagraph { epoch { next { end } } }",
            {},
            True,
        ),
        # a series: every point at or below `toBlock`, fixed once it is finalized
        ("{ history(fromBlock: 1, toBlock: 9) { neuronCount } }", {}, False),
        ("query($t: Int!) { history(fromBlock: 1, toBlock: $t) { netuid } }", {"t": 9}, False),
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


def test_plans_are_kept_per_document_within_a_byte_bound() -> None:
    # Room for two small entries: each costs its texts plus ENTRY_OVERHEAD.
    plans = PlanCache(max_tokens=4000, max_bytes=2 * (PLAN_OVERHEAD + 60))
    first = plans.get("{ head { number } }", None)
    assert plans.get("{ head { number } }", None) is first
    assert plans.get("mutation { x }", None) is None
    plans.get("{ subnet { name } }", None)
    assert plans.get("{ head { number } }", None) is not first  # evicted, planned again
    assert plans.size <= 2 * (PLAN_OVERHEAD + 60)


def test_a_megabyte_of_comment_is_not_kept() -> None:
    plans = PlanCache(max_tokens=4000, max_bytes=2**20)
    for n in range(20):
        plans.get("#" + "x" * 100_000 + f"\n{{ head {{ number }} a{n}: __typename }}", None)
    assert plans.size <= 2**20  # 20 documents of 100 kB: at most ten of them kept
