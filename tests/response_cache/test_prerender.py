"""Pre-rendering: what is rendered at a new head, and when the cache starts keying by it."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.events import EventHub, NewBlock
from pylon_gql.models import BlockRef
from pylon_gql.response_cache import (
    AnswerStore,
    HotQuery,
    Prerenderer,
    cache_key,
    plan_query,
)
from pylon_gql.response_cache.prerender import PRERENDER_QUERIES

OLD = BlockRef(100, "0x" + "11" * 32)
NEW = BlockRef(101, "0x" + "22" * 32)


def hot(document: str) -> HotQuery:
    return HotQuery(document, None, None, plan_query(document, None, max_tokens=4000))


def asked(prerenderer: Prerenderer, query: HotQuery, times: int) -> None:
    key = cache_key(query.plan, None, prerenderer.head, "")
    assert key is not None
    for _ in range(times):
        prerenderer.hot.count(key, query)


class Renderer:
    def __init__(self) -> None:
        self.rendered: list[tuple[str, int]] = []
        self.fail: set[str] = set()

    async def __call__(self, query: HotQuery, ref: BlockRef) -> bytes | None:
        self.rendered.append((query.query, ref.number))
        if query.query in self.fail:
            raise RuntimeError("node dropped")
        return f'{{"data": "{query.query} at {ref.number}"}}'.encode()


def make(chain_head: list[BlockRef], *, enabled: bool = True) -> tuple[Prerenderer, Renderer]:
    render = Renderer()
    prerenderer = Prerenderer(
        EventHub(), AnswerStore(1_000_000), render, chain_head=lambda: chain_head[0],
        enabled=enabled,
    )  # fmt: skip
    return prerenderer, render


async def test_queries_asked_twice_are_rendered_at_the_new_head_before_it_is_served() -> None:
    chain = [OLD]
    prerenderer, render = make(chain)
    assert prerenderer.head == OLD  # no event yet: the chain's head
    twice, once = hot("{ metagraph { neuronCount } }"), hot("{ subnet { name } }")
    asked(prerenderer, twice, 2)
    asked(prerenderer, once, 1)

    chain[0] = NEW
    await prerenderer.advance(NEW)
    assert render.rendered == [(twice.query, NEW.number)]
    key = cache_key(twice.plan, None, NEW, "")
    assert key is not None
    kept = prerenderer.answers.get(key)
    assert kept is not None
    assert kept.body == b'{"data": "{ metagraph { neuronCount } } at 101"}'
    assert prerenderer.head == NEW


async def test_the_most_asked_are_rendered_and_nothing_once_nobody_asks() -> None:
    chain = [OLD]
    prerenderer, render = make(chain)
    queries = [hot(f"{{ metagraph {{ neuronCount }} a{n}: __typename }}") for n in range(10)]
    for n, query in enumerate(queries):
        asked(prerenderer, query, 2 + n)
    chain[0] = NEW
    await prerenderer.advance(NEW)
    # The most asked first, at most PRERENDER_QUERIES of them.
    assert [q for q, _ in render.rendered] == [q.query for q in queries[::-1][:PRERENDER_QUERIES]]
    # Nobody asked at NEW: nothing is rendered at the next head (no load nobody asked for).
    third = BlockRef(102, "0x" + "33" * 32)
    chain[0] = third
    await prerenderer.advance(third)
    assert len(render.rendered) == PRERENDER_QUERIES


async def test_a_failing_render_skips_that_query_and_the_head_still_moves() -> None:
    chain = [OLD]
    prerenderer, render = make(chain)
    bad, good = hot("{ epoch { index } }"), hot("{ hyperparameters { tempo } }")
    asked(prerenderer, bad, 3)
    asked(prerenderer, good, 2)
    render.fail.add(bad.query)
    chain[0] = NEW
    await prerenderer.advance(NEW)
    assert [q for q, _ in render.rendered] == [bad.query, good.query]
    assert prerenderer.head == NEW


async def test_nothing_is_rendered_behind_the_chain_or_with_reads_closed() -> None:
    chain = [BlockRef(105, "0x" + "55" * 32)]
    behind, render = make(chain)
    asked(behind, hot("{ subnet { name } }"), 2)
    await behind.advance(NEW)  # the chain is at 105 already
    assert render.rendered == [] and behind.head == NEW

    closed, render = make([NEW], enabled=False)
    asked(closed, hot("{ subnet { name } }"), 2)
    await closed.advance(NEW)
    assert render.rendered == [] and closed.head == NEW


async def test_it_follows_new_blocks_on_the_event_bus() -> None:
    chain = [OLD]
    hub = EventHub()
    render = Renderer()
    prerenderer = Prerenderer(
        hub, AnswerStore(1_000_000), render, chain_head=lambda: chain[0], enabled=True
    )
    query = hot("{ subnet { name } }")
    asked(prerenderer, query, 2)
    prerenderer.start()
    try:
        chain[0] = NEW
        hub.publish(NewBlock(NEW))
        async with asyncio.timeout(5):
            while not render.rendered:  # noqa: ASYNC110 - no event tells of it
                await asyncio.sleep(0.005)
    finally:
        await prerenderer.stop()
    assert render.rendered == [(query.query, NEW.number)]
    assert prerenderer.head == NEW
    assert hub.subscribers(NewBlock) == 0  # stopped: unsubscribed


async def test_rendering_stops_when_the_time_for_a_head_is_spent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pylon_gql.response_cache.prerender.PRERENDER_SECONDS", 0.05)
    chain = [OLD]
    prerenderer, render = make(chain)
    slow = render.__call__

    async def slowly(query: HotQuery, ref: BlockRef) -> bytes | None:
        await asyncio.sleep(0.03)
        return await slow(query, ref)

    prerenderer._render = slowly
    for n in range(PRERENDER_QUERIES):
        asked(prerenderer, hot(f"{{ subnet {{ name }} a{n}: __typename }}"), 2)
    chain[0] = NEW
    await prerenderer.advance(NEW)
    assert 1 <= len(render.rendered) <= 3 < PRERENDER_QUERIES
    assert prerenderer.head == NEW
