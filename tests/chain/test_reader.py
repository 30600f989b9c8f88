"""ChainReader against a counting fake client: cache, single flight, bound, resolve."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql import metrics
from pylon_gql.chain.epochs import epoch_at
from pylon_gql.chain.errors import BlockNotFound, ChainUnavailable, FutureBlock
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef
from pylon_gql.settings import Settings

from .fakes import FakeChain, block_hash, ref


def make_reader(chain: FakeChain, **settings: object) -> ChainReader:
    return ChainReader(chain, Settings(netuid=1, **settings))  # type: ignore[arg-type]


def counter(metric: object, kind: str) -> float:
    return metric.labels(kind)._value.get()  # type: ignore[attr-defined]


async def test_100_concurrent_misses_make_one_chain_call() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    misses = counter(metrics.CACHE_MISSES, "metagraph")
    hits = counter(metrics.CACHE_HITS, "metagraph")

    results = await asyncio.gather(*(reader.metagraph(ref(50)) for _ in range(100)))

    assert chain.calls[("metagraph", block_hash(50))] == 1
    assert all(result is results[0] for result in results)
    assert counter(metrics.CACHE_MISSES, "metagraph") - misses == 1
    assert counter(metrics.CACHE_HITS, "metagraph") - hits == 99


async def test_a_block_is_read_once_and_served_many_times() -> None:
    chain = FakeChain()
    reader = make_reader(chain)

    first = await reader.metagraph(ref(10))
    second = await reader.metagraph(ref(10))
    hyper = [await reader.hyperparameters(ref(10)) for _ in range(3)]
    await reader.subnet(ref(10))
    await reader.subnet(ref(10))

    assert first is second
    assert hyper[0] is hyper[2]
    assert chain.calls[("metagraph", block_hash(10))] == 1
    assert chain.calls[("hyperparameters", block_hash(10))] == 1
    assert chain.calls[("subnet", block_hash(10))] == 1


async def test_other_subnets_are_cached_apart() -> None:
    chain = FakeChain()
    reader = make_reader(chain)

    one = await reader.metagraph(ref(10))
    two = await reader.metagraph(ref(10), netuid=2)

    assert (one.netuid, two.netuid) == (1, 2)
    assert chain.calls[("metagraph", block_hash(10))] == 2


async def test_the_cache_keeps_only_the_most_recent_blocks() -> None:
    chain = FakeChain()
    reader = make_reader(chain, cache_blocks=3)

    for number in (1, 2, 3, 4):
        await reader.metagraph(ref(number))
        await reader.hyperparameters(ref(number))
    assert reader.cached_blocks == 3
    await reader.metagraph(ref(4))  # still cached
    await reader.metagraph(ref(1))  # evicted: read again

    assert chain.calls[("metagraph", block_hash(4))] == 1
    assert chain.calls[("metagraph", block_hash(1))] == 2
    assert reader.cached_blocks == 3
    # Only the data keys of three blocks remain in the aiocache backend.
    assert len(reader._cache._cache) == 3 * 2 - 1


async def test_a_block_in_use_is_not_the_one_evicted() -> None:
    chain = FakeChain()
    reader = make_reader(chain, cache_blocks=2)

    await reader.metagraph(ref(1))
    await reader.metagraph(ref(2))
    await reader.metagraph(ref(1))  # 1 is now the most recently used
    await reader.metagraph(ref(3))  # evicts 2
    await reader.metagraph(ref(1))

    assert chain.calls[("metagraph", block_hash(1))] == 1
    await reader.metagraph(ref(2))
    assert chain.calls[("metagraph", block_hash(2))] == 2


async def test_a_failed_read_is_not_cached() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    chain.failures.append(ChainUnavailable("node down"))

    with pytest.raises(ChainUnavailable):
        await reader.metagraph(ref(5))
    metagraph = await reader.metagraph(ref(5))

    assert len(metagraph.neurons) == 4
    assert chain.calls[("metagraph", block_hash(5))] == 2


async def test_waiters_survive_a_failed_leader() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    release = asyncio.Event()
    calls = 0

    async def gate(_: BlockRef) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await release.wait()
            raise ChainUnavailable("dropped")

    chain.metagraph_gate = gate
    leader = asyncio.create_task(reader.metagraph(ref(7)))
    await asyncio.sleep(0.01)
    waiters = [asyncio.create_task(reader.metagraph(ref(7))) for _ in range(5)]
    await asyncio.sleep(0.01)
    release.set()

    with pytest.raises(ChainUnavailable):
        await leader
    answers = await asyncio.gather(*waiters)
    assert all(len(a.neurons) == 4 for a in answers)


async def test_a_missing_commitment_is_cached_too() -> None:
    chain = FakeChain()
    reader = make_reader(chain)

    assert await reader.commitment(ref(9), "hotkey-9") is None
    assert await reader.commitment(ref(9), "hotkey-9") is None
    found = await reader.commitment(ref(9), "hotkey-1")

    assert found is not None and found.text == "hello"
    assert chain.calls[("commitment", block_hash(9))] == 2


async def test_one_commitment_comes_from_the_cached_map() -> None:
    chain = FakeChain()
    reader = make_reader(chain)

    everything = await reader.commitments(ref(9))
    one = await reader.commitment(ref(9), "hotkey-1")

    assert one is everything[0]
    assert chain.calls[("commitment", block_hash(9))] == 0


async def test_epoch_uses_the_tempo_the_chain_had_at_that_block() -> None:
    chain = FakeChain(head=2000, tempo=lambda block: 99 if block < 1000 else 360)
    reader = make_reader(chain, commit_window_start_offset=20, commit_window_end_buffer=5)

    early = await reader.epoch(ref(500))
    late = await reader.epoch(ref(1500))

    assert early == epoch_at(500, 1, 99, commit_window_start_offset=20, commit_window_end_buffer=5)
    assert late == epoch_at(1500, 1, 360, commit_window_start_offset=20, commit_window_end_buffer=5)
    assert (early.tempo, late.tempo) == (99, 360)


async def test_resolve_without_arguments_is_the_head() -> None:
    chain = FakeChain(head=100)
    reader = make_reader(chain)

    assert reader.head is None
    assert await reader.resolve() == ref(100)  # asked of the node before the first head
    reader.set_head(ref(90))
    assert reader.head == ref(90)
    assert await reader.resolve() == ref(90)


async def test_resolve_by_number_and_by_hash() -> None:
    chain = FakeChain(head=100)
    reader = make_reader(chain)
    reader.set_head(ref(100))

    assert await reader.resolve(number=42) == ref(42)
    assert await reader.resolve(hash=block_hash(42)) == ref(42)
    assert await reader.resolve(hash=block_hash(42).upper().replace("0X", "0x")) == ref(42)
    assert await reader.resolve(number=42, hash=block_hash(42)) == ref(42)
    assert await reader.resolve(number=0) == ref(0)
    await reader.resolve(number=42)
    assert chain.calls[("block_hash", "42")] == 1


@pytest.mark.parametrize(
    "bad",
    ["", "0x", "0x1234", "db13" * 16, "0x" + "g" * 64, "0x" + "0" * 63, "0x" + "0" * 65],
)
async def test_malformed_hash_is_a_value_error(bad: str) -> None:
    reader = make_reader(FakeChain())

    with pytest.raises(ValueError, match="0x followed by 64 hex digits"):
        await reader.resolve(hash=bad)


async def test_negative_number_is_a_value_error() -> None:
    reader = make_reader(FakeChain())

    with pytest.raises(ValueError, match="0 or more"):
        await reader.resolve(number=-1)


async def test_a_number_past_the_head_is_a_future_block() -> None:
    reader = make_reader(FakeChain(head=100))
    reader.set_head(ref(100))

    with pytest.raises(FutureBlock) as raised:
        await reader.resolve(number=101)

    assert (raised.value.number, raised.value.head) == (101, 100)
    assert "in the future" in str(raised.value)


async def test_an_unknown_hash_is_not_found() -> None:
    reader = make_reader(FakeChain(head=100))

    with pytest.raises(BlockNotFound):
        await reader.resolve(hash="0x" + "ff" * 32)
    with pytest.raises(BlockNotFound):
        await reader.resolve(number=41, hash=block_hash(42))


async def test_chain_info_names_the_network_and_runtime() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    reader.set_head(ref(100))

    info = await reader.chain_info()
    await reader.chain_info()

    assert info.genesis_hash == block_hash(0)
    assert info.spec_version == 318
    assert info.simulated is True and info.network == "sim"
    assert chain.calls[("genesis_hash", "")] == 1


async def test_made_up_hashes_push_no_data_out_of_the_cache() -> None:
    chain = FakeChain(head=100)
    reader = make_reader(chain, cache_blocks=2)
    await reader.metagraph(ref(1))

    for n in range(50):
        with pytest.raises(BlockNotFound):
            await reader.resolve(hash=block_hash(1000 + n))
    await reader.metagraph(ref(1))

    assert chain.calls[("metagraph", block_hash(1))] == 1


async def test_a_hash_unknown_now_may_be_known_later() -> None:
    chain = FakeChain(head=100)
    reader = make_reader(chain)

    with pytest.raises(BlockNotFound):
        await reader.resolve(hash=block_hash(101))
    chain.head = 101  # the node imports the block

    assert await reader.resolve(hash=block_hash(101)) == ref(101)
    assert await reader.resolve(hash=block_hash(101)) == ref(101)
    assert chain.calls[("block_number", block_hash(101))] == 2
