"""`history` over HTTP, on the simnet: a 50-point series equals 50 single-block queries, any
metagraph field of it; the bounds are refused with what to ask instead."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.auth import Role

from .conftest import PATIENCE, Served

pytestmark = pytest.mark.timeout(300)

POINT = """block { number hash } netuid neuronCount
  neurons(where: {uids: [0, 5]}) { uid stakeRao lastUpdate rank }"""
SINGLE = f"query ($b: Int, $n: Int) {{ metagraph(block: $b, netuid: $n) {{ {POINT} }} }}"


async def ask(served: Served, document: str, variables: dict) -> dict:
    """As a validator: a series of cold blocks is over the anonymous budget (a block not in
    the cache costs PYLON_COLD_BLOCK_COST)."""
    token = served.services.dev_tokens[Role.VALIDATOR]
    response = await served.client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def head_number(served: Served) -> int:
    return (await served.query("{ head { number } }"))["data"]["head"]["number"]


async def test_a_50_point_history_equals_50_single_block_queries(served: Served) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    start = simnet.finalized_number
    while simnet.finalized_number < start + 60:  # 60 blocks of the simnet's own, drifting
        await simnet.produce_blocks(1)
    async with asyncio.timeout(PATIENCE):
        while await head_number(served) < start + 60:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    first = start + 10
    for netuid in (1, 2):
        series = await ask(
            served,
            f"query ($f: Int!, $t: Int!, $n: Int) {{ history(fromBlock: $f, toBlock: $t, "
            f"step: 1, netuid: $n) {{ {POINT} }} }}",
            {"f": first, "t": first + 49, "n": netuid},
        )
        assert "errors" not in series, series
        points = series["data"]["history"]
        assert [p["block"]["number"] for p in points] == list(range(first, first + 50))
        singles = await asyncio.gather(
            *(
                served.query(
                    SINGLE,
                    {"b": number, "n": netuid},
                )
                for number in range(first, first + 50)
            )
        )
        assert [s["data"]["metagraph"] for s in singles] == points
        assert {p["netuid"] for p in points} == {netuid}
    # every 10th block, ending at a whole step before toBlock
    spaced = await ask(
        served,
        "query ($f: Int!, $t: Int!) { history(fromBlock: $f, toBlock: $t, step: 10) "
        "{ block { number } } }",
        {"f": first, "t": first + 45},
    )
    numbers = [p["block"]["number"] for p in spaced["data"]["history"]]
    assert numbers == [first, first + 10, first + 20, first + 30, first + 40]


async def test_history_bounds(served: Served) -> None:
    head = await head_number(served)
    for variables, code, words in (
        ({"f": head - 10, "t": head, "s": 0}, "BAD_USER_INPUT", "`step` must be 1 or more"),
        ({"f": head, "t": head - 1, "s": 1}, "BAD_USER_INPUT", "at most `toBlock`"),
        # more points than PYLON_MAX_HISTORY_POINTS (a token's budget holds that many)
        ({"f": 0, "t": head, "s": 1}, "BAD_USER_INPUT", "at most 500 (PYLON_MAX_HISTORY_POINTS)"),
        ({"f": head, "t": head + 5, "s": 1}, "BLOCK_IN_FUTURE", "in the future"),
    ):
        answer = await ask(
            served,
            "query ($f: Int!, $t: Int!, $s: Int!) { history(fromBlock: $f, toBlock: $t, step: $s) "
            "{ netuid } }",
            variables,
        )
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == code, (variables, error)
        assert words in error["message"], error


async def test_a_cold_series_is_over_the_anonymous_budget(served: Served) -> None:
    # the follower keeps the recent heads warm: blocks 1 to 40 are cold (and long pruned)
    answer = await served.query(
        "query ($f: Int!, $t: Int!) { history(fromBlock: $f, toBlock: $t) { netuid } }",
        {"f": 1, "t": 40},
    )
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    assert "send a token" in error["message"]


async def test_a_series_asked_again_is_the_response_caches_answer(served: Served) -> None:
    head = await head_number(served)
    token = served.services.dev_tokens[Role.VALIDATOR]
    series = {
        "query": "query ($f: Int!, $t: Int!) { history(fromBlock: $f, toBlock: $t, step: 2) "
        "{ block { number } neuronCount } }",
        "variables": {"f": head - 20, "t": head - 1},
    }
    answers = [
        await served.client.post(
            "/graphql", json=series, headers={"authorization": f"Bearer {token}"}
        )
        for _ in range(2)
    ]
    assert [a.headers.get("x-pylon-cache") for a in answers] == ["miss", "hit"]
    assert answers[1].content == answers[0].content
    assert [p["block"]["number"] for p in answers[0].json()["data"]["history"]] == list(
        range(head - 20, head, 2)
    )
