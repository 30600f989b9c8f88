"""The answer cache: what a block gives is encoded once, and the cache stays bounded."""

from __future__ import annotations

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.node.cache import AnswerCache

from ..conftest import NEURONS_LITE_1, raw_request


async def test_answers_are_cached_per_block(simnet: Simnet):
    await simnet.produce_blocks(1)
    cache = simnet._node.cache  # type: ignore[union-attr]
    params = [*NEURONS_LITE_1, simnet.head_hash]
    first = await raw_request(simnet.url, "state_call", params)
    entries = len(cache)
    again = await raw_request(simnet.url, "state_call", params)
    assert again["result"] == first["result"]
    assert len(cache) == entries
    assert cache.get((simnet.head_hash, NEURONS_LITE_1[0], b"\x01\x00")) == first["result"]


def test_answer_cache_is_bounded():
    cache = AnswerCache(max_bytes=100)
    for i in range(10):
        cache.put(i, f"answer {i}", 30)
    assert cache.size <= 100
    assert cache.get(9) == "answer 9"
    assert cache.get(0) is None
