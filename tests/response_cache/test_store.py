"""The answer store alone: its byte bound, and one execution per key for concurrent askers."""

from __future__ import annotations

import asyncio

from pylon_gql.response_cache import ENTRY_OVERHEAD, AnswerStore, CacheKey, Executed
from pylon_gql.response_cache.answer import Answer, answer_of


def key(n: int) -> CacheKey:
    return (f"doc{n}", "", b"{}", "", "")


def cost(n: int, answer: Answer) -> int:
    return answer.size + len(f"doc{n}") + 2 + ENTRY_OVERHEAD


def body_of(answer: Answer | str | None) -> bytes | str | None:
    return answer.body if isinstance(answer, Answer) else answer


def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    body = answer_of(b"x" * 1000)
    cache = AnswerStore(max_bytes=3 * cost(0, body))
    for n in range(3):
        cache.put(key(n), body)
    assert len(cache) == 3 and cache.size == 3 * cost(0, body)
    assert cache.get(key(0)) == body  # 0 is now the most recently used
    cache.put(key(3), body)
    assert cache.get(key(1)) is None
    assert [cache.get(key(n)) for n in (0, 2, 3)] == [body] * 3
    assert cache.size <= cache.max_bytes
    cache.put(
        key(4), Answer(b"y" * (4 * len(body.body)), b'"y"', None)
    )  # larger than the whole cache: not kept
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
    # Bytes worth keeping come back as the kept answer, to the leader too.
    answer, outcome = await leader
    assert (body_of(answer), outcome) == (b"answer", "miss")
    answer, outcome = await waiter
    assert (body_of(answer), outcome) == (b"answer", "shared")
    assert runs == ["leader"]
    answer, outcome = await cache.serve(key(1), execution("late", b"other"))
    assert (body_of(answer), outcome) == (b"answer", "hit")
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


def test_the_generation_goes_up_whenever_an_answer_leaves() -> None:
    body = answer_of(b"x" * 1000)
    cache = AnswerStore(max_bytes=2 * cost(0, body))
    cache.put(key(0), body)
    cache.put(key(1), body)
    assert cache.generation == 0  # kept, nothing left
    cache.put(key(2), body)  # 0 goes for room
    assert cache.generation == 1 and cache.get(key(0)) is None
    cache.clear()
    assert cache.generation == 2 and cache.get(key(2)) is None
