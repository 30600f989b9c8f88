"""The response cache's byte-bounded LRU map: what it keeps, what it drops first, and what a
replaced value costs."""

from __future__ import annotations

from pylon_gql.response_cache.lru import LRU


def test_it_drops_the_least_recently_used_for_room_and_counts_each_drop() -> None:
    dropped: list[None] = []
    lru: LRU[str, int] = LRU(30, on_evict=lambda: dropped.append(None))
    for n, key in enumerate("abc"):
        assert lru.put(key, n, 10)
    assert lru.get("a") == 0  # a is now the most recently used
    assert lru.put("d", 3, 10)
    assert lru.get("b") is None and len(dropped) == 1
    assert [lru.get(k) for k in "acd"] == [0, 2, 3]
    assert lru.put("e", 4, 20)  # room for 20 more: the two least recently used go
    assert [lru.get(k) for k in "acde"] == [None, None, 3, 4]
    assert len(dropped) == 3 and len(lru) == 2 and lru.size == 30


def test_a_replaced_value_costs_its_new_cost() -> None:
    lru: LRU[str, str] = LRU(100)
    lru.put("a", "old", 60)
    lru.put("a", "new", 30)
    assert lru.get("a") == "new" and lru.size == 30 and len(lru) == 1
    lru.put("b", "b", 70)
    assert lru.get("a") == "new" and lru.size == 100


def test_a_value_larger_than_the_bound_is_not_kept_and_drops_nothing() -> None:
    lru: LRU[str, str] = LRU(100)
    lru.put("a", "a", 50)
    assert not lru.put("big", "big", 101)
    assert lru.get("big") is None and lru.get("a") == "a" and lru.size == 50
