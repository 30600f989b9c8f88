"""Cursor paging and totals of neuron lists over HTTP, on the simnet: the pages of one block
concatenate to the whole ordered list while the chain moves on; `totalCount` is the filtered
list's length; `offset` still pages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import PATIENCE, Served

pytestmark = pytest.mark.timeout(300)

PAGE = """query ($b: Int, $n: Int, $where: NeuronFilter, $order: NeuronOrder, $first: Int,
    $after: String, $offset: Int! = 0) {
  metagraph(block: $b, netuid: $n) { block { number }
    neuronPage(where: $where, orderBy: $order, first: $first, after: $after, offset: $offset) {
      totalCount neurons { uid stakeRao } pageInfo { endCursor hasNextPage } } } }"""

FULL = """query ($b: Int, $n: Int, $where: NeuronFilter, $order: NeuronOrder) {
  metagraph(block: $b, netuid: $n) { neurons(where: $where, orderBy: $order) { uid stakeRao } } }"""

ORDER = {"field": "STAKE", "direction": "DESC"}


async def page(served: Served, **variables: Any) -> dict[str, Any]:
    answer = await served.query(PAGE, variables)
    assert "errors" not in answer, answer
    return answer["data"]["metagraph"]["neuronPage"]


async def test_cursor_pages_concatenate_to_the_list_while_the_chain_moves(served: Served) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    where = {"minStake": 0.000001}
    full = await served.query(FULL, {"b": head, "where": where, "order": ORDER})
    want = full["data"]["metagraph"]["neurons"]
    assert 100 < len(want) < 1024  # the filter keeps some, not all
    pages: list[list[dict[str, Any]]] = []
    after = None
    while True:
        got = await page(served, b=head, where=where, order=ORDER, first=100, after=after)
        assert got["totalCount"] == len(want)
        pages.append(got["neurons"])
        await simnet.produce_blocks(1)  # the chain moves between pages
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert [n for p in pages for n in p] == want
    assert len(pages) == -(-len(want) // 100)
    # the chain has moved: the server's head is past the block the pages were of
    async with asyncio.timeout(PATIENCE):
        while (await served.query("{ head { number } }"))["data"]["head"]["number"] <= head:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_total_count_is_the_filtered_length(served: Served) -> None:
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    for netuid in (1, 2):
        for where in ({}, {"validatorPermit": True}, {"active": False}, {"uids": [0, 1, 5000]}):
            full = await served.query(FULL, {"b": head, "n": netuid, "where": where})
            length = len(full["data"]["metagraph"]["neurons"])
            got = await page(served, b=head, n=netuid, where=where, first=2)
            assert got["totalCount"] == length, (netuid, where)
            assert got["pageInfo"]["hasNextPage"] == (length > 2)
            assert len(got["neurons"]) == min(2, length)


async def test_offset_still_pages_and_an_empty_page_has_no_cursor(served: Served) -> None:
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    first = await page(served, b=head, first=10)
    skipped = await page(served, b=head, first=5, offset=5)
    assert skipped["neurons"] == first["neurons"][5:]
    # offset counts after the cursor
    after = await page(served, b=head, first=3, after=first["pageInfo"]["endCursor"], offset=2)
    assert [n["uid"] for n in after["neurons"]] == [12, 13, 14]
    past = await page(served, b=head, first=10, offset=5000)
    assert past == {
        "totalCount": 1024,
        "neurons": [],
        "pageInfo": {"endCursor": None, "hasNextPage": False},
    }


async def test_a_cursor_of_another_block_or_list_is_refused(served: Served) -> None:
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    cursor = (await page(served, b=head, first=10, order=ORDER))["pageInfo"]["endCursor"]
    for variables, words in (
        ({"b": head - 1, "order": ORDER}, f"a cursor of the list at block {head}, not"),
        ({"b": head}, "another filter or order"),
        ({"b": head, "order": ORDER, "after": "nonsense!"}, "not a cursor of this server"),
    ):
        answer = await served.query(PAGE, {"first": 10, "after": cursor, **variables})
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert words in error["message"], error


async def test_a_pages_neurons_carry_the_full_metagraphs_fields(served: Served) -> None:
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    document = """query ($b: Int, $n: Int) { metagraph(block: $b, netuid: $n) {
        neuronPage(first: 3) { neurons { uid alphaStakeRao registeredAt ... on Neuron {
          validatorLiveness { active } } } }
        neurons(first: 3) { uid alphaStakeRao registeredAt validatorLiveness { active } } } }"""
    for netuid in (1, 2):
        answer = await served.query(document, {"b": head, "n": netuid})
        assert "errors" not in answer, answer
        metagraph = answer["data"]["metagraph"]
        assert metagraph["neuronPage"]["neurons"] == metagraph["neurons"]
