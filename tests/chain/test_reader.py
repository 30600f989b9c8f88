"""ChainReader: over a scripted fake chain, then over a real websocket against the simulated
node (what it reads, its errors, its caches), then one node call per read for concurrent askers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime

import pytest

from pylon_gql import metrics
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.epochs import epoch_at
from pylon_gql.chain.errors import (
    BlockNotFound,
    BlockPruned,
    ChainUnavailable,
    FutureBlock,
    SubnetNotFound,
)
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef, Metagraph
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import START_MS, simnet_config
from .fakes import FakeChain, block_hash, ref
from .fixtures import SNAPSHOT, SNAPSHOT_HASH, SNAPSHOT_NUMBER, expected_neurons

# --- ChainReader against a counting fake client: cache, single flight, bound, resolve.


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


async def test_a_number_the_node_never_had_is_not_found_and_moves_nothing() -> None:
    class FirstBlockAt50(FakeChain):
        async def block_hash(self, number: int) -> str | None:
            return None if number < 50 else await super().block_hash(number)

    reader = make_reader(FirstBlockAt50(head=100))
    reader.set_head(ref(100))
    looked: list[bool] = []
    reader.on_chain_left(lambda: looked.append(True))

    with pytest.raises(BlockNotFound, match="knows no block 7"):
        await reader.resolve(number=7)
    assert looked == []  # a stranger's query for a block that never was wakes no follower


async def test_a_number_the_node_no_longer_has_below_the_head_is_the_chain_left() -> None:
    chain = FakeChain(head=100)
    reader = make_reader(chain)
    reader.set_head(ref(100))
    looked: list[bool] = []
    reader.on_chain_left(lambda: looked.append(True))
    chain.head = 80  # the node was restored from an earlier state

    with pytest.raises(ChainUnavailable, match="retry"):
        await reader.resolve(number=90)
    assert looked == [True]


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


# --- ChainClient and ChainReader over a real websocket, against the simulated node.

SNAPSHOT_REF = BlockRef(SNAPSHOT_NUMBER, SNAPSHOT_HASH)


def chain_calls(call: str) -> float:
    return metrics.CHAIN_CALLS.labels(call, "ok")._value.get()


def simnet_reader(client: ChainClient, **settings: object) -> ChainReader:
    return ChainReader(client, Settings(**{"netuid": 1, **settings}))  # type: ignore[arg-type]


async def test_metagraph_at_the_snapshot_is_the_finney_metagraph(client: ChainClient) -> None:
    reader = simnet_reader(client)

    ref = await reader.resolve(number=SNAPSHOT_NUMBER)
    metagraph = await reader.metagraph(ref)

    assert ref == SNAPSHOT_REF
    assert len(metagraph.neurons) == 1024
    for neuron, raw in zip(metagraph.neurons, expected_neurons(), strict=True):
        assert (neuron.uid, neuron.hotkey, neuron.coldkey) == (
            raw["uid"],
            raw["hotkey"],
            raw["coldkey"],
        )
        assert neuron.stake_rao == sum(value for _, value in raw["stake"])
        assert neuron.emission_rao == raw["emission"]
        assert neuron.dividends == raw["dividends"] / 65535
        assert neuron.validator_permit == raw["validator_permit"]
        assert neuron.axon.version == raw["axon_info"]["version"]
        assert neuron.last_update == raw["last_update"]


async def test_100_concurrent_reads_of_a_new_block_decode_it_once(
    simnet: Simnet, client: ChainClient
) -> None:
    reader = simnet_reader(client)
    await simnet.produce_blocks(1)
    ref = await reader.resolve()
    before = chain_calls("neurons_lite")

    metagraphs = await asyncio.gather(*(reader.metagraph(ref) for _ in range(100)))

    assert chain_calls("neurons_lite") - before == 1
    assert all(m is metagraphs[0] for m in metagraphs)
    assert metagraphs[0].block == ref


async def test_the_cache_holds_only_cache_blocks_blocks(
    simnet: Simnet, client: ChainClient
) -> None:
    reader = simnet_reader(client, cache_blocks=2)
    await simnet.produce_blocks(3)
    head = (await reader.resolve()).number
    refs = [await reader.resolve(number=n) for n in (head - 2, head - 1, head)]
    before = chain_calls("hyperparameters")

    for block in refs:
        await reader.hyperparameters(block)
    await reader.hyperparameters(refs[2])  # cached
    await reader.hyperparameters(refs[0])  # evicted by the third block

    assert chain_calls("hyperparameters") - before == 4
    assert reader.cached_blocks == 2


async def test_block_subnet_hyperparameters_and_epoch(client: ChainClient) -> None:
    reader = simnet_reader(client)

    block = await reader.block(SNAPSHOT_REF)
    subnet = await reader.subnet(SNAPSHOT_REF)
    hyperparameters = await reader.hyperparameters(SNAPSHOT_REF)
    epoch = await reader.epoch(SNAPSHOT_REF)

    assert block.parent_hash == SNAPSHOT["header"]["parentHash"]
    assert block.timestamp == datetime.datetime.fromtimestamp(START_MS / 1000, tz=datetime.UTC)
    assert subnet.netuid == 1 and subnet.name == "Apex"
    # finney's tempo at the snapshot: its last epoch ran at 6852597, the next at 6852697
    assert hyperparameters.tempo == subnet.tempo == epoch.tempo == 99
    assert epoch.start <= SNAPSHOT_NUMBER <= epoch.end
    assert epoch.blocks_remaining == 99 - (SNAPSHOT_NUMBER + 2) % 100 == 7


async def test_commitments_of_the_synthetic_subnet(client: ChainClient) -> None:
    reader = simnet_reader(client, netuid=2)

    everything = await reader.commitments(SNAPSHOT_REF)
    first = everything[0]
    one = await client.commitment(2, first.hotkey, SNAPSHOT_REF)
    nobody = await reader.commitment(
        SNAPSHOT_REF, "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
    )

    assert everything
    assert one == first
    assert nobody is None


async def test_resolve_errors(client: ChainClient, simnet: Simnet) -> None:
    reader = simnet_reader(client)
    head = await reader.resolve()

    with pytest.raises(FutureBlock):
        await reader.resolve(number=head.number + 1)
    with pytest.raises(BlockNotFound):
        await reader.resolve(hash="0x" + "12" * 32)
    with pytest.raises(ValueError, match="malformed block hash"):
        await reader.resolve(hash="0x1234")
    with pytest.raises(ValueError, match="0 or more"):
        await reader.resolve(number=-5)
    assert await reader.resolve(hash=head.hash) == head


async def test_a_subnet_that_does_not_exist(client: ChainClient) -> None:
    reader = simnet_reader(client, netuid=77)

    with pytest.raises(SubnetNotFound):
        await reader.metagraph(SNAPSHOT_REF)
    with pytest.raises(SubnetNotFound):
        await reader.subnet(SNAPSHOT_REF)


async def test_chain_info(client: ChainClient) -> None:
    info = await simnet_reader(client).chain_info()

    assert info.spec_version == 318
    assert info.genesis_hash.startswith("0x") and len(info.genesis_hash) == 66


async def test_pruned_blocks_are_read_from_the_archive_node() -> None:
    async with (
        Simnet(simnet_config(history=4)) as pruned,
        Simnet(simnet_config(archive=True)) as archive,
    ):
        await pruned.produce_blocks(10)
        await archive.produce_blocks(10)
        settings = Settings(netuid=1, archive_network=archive.url)  # type: ignore[call-arg]
        async with ChainClient(pruned.url) as alone:
            with pytest.raises(BlockPruned):
                await alone.metagraph(1, SNAPSHOT_REF)
        async with ChainClient.from_settings(settings, url=pruned.url) as client:
            reader = ChainReader(client, settings)
            ref = await reader.resolve(number=SNAPSHOT_NUMBER)
            metagraph = await reader.metagraph(ref)
            block = await reader.block(ref)

    assert client.archive is not None and client.archive.url == archive.url
    assert len(metagraph.neurons) == 1024
    assert block.timestamp is not None


async def test_concurrent_cold_reads_decode_the_same_as_one_at_a_time(
    simnet: Simnet, client: ChainClient
) -> None:
    await simnet.produce_blocks(2)
    head = await client.finalized_head()
    previous = await client.block_hash(head.number - 1)
    assert previous is not None
    refs = [head, BlockRef(head.number - 1, previous)]
    together = simnet_reader(client)
    apart = simnet_reader(client)

    concurrent = await asyncio.gather(
        *(together.metagraph(ref, netuid=netuid) for ref in refs for netuid in (1, 2)),
        *(together.hyperparameters(ref, netuid=netuid) for ref in refs for netuid in (1, 2)),
    )
    sequential = [await apart.metagraph(ref, netuid=netuid) for ref in refs for netuid in (1, 2)]
    sequential += [
        await apart.hyperparameters(ref, netuid=netuid) for ref in refs for netuid in (1, 2)
    ]

    assert concurrent == sequential
    assert [len(m.neurons) for m in sequential[:4] if isinstance(m, Metagraph)] == [
        1024,
        256,
        1024,
        256,
    ]


# --- Every chain read the reader makes is one node call for concurrent askers (a real simnet).


def fresh_reader(client: ChainClient) -> ChainReader:
    """A reader that knows no head, no hash and no data yet."""
    return ChainReader(client, Settings(_env_file=None, netuid=1))  # type: ignore[call-arg]


async def test_100_concurrent_askers_make_one_call_per_read(
    simnet: Simnet, client: ChainClient
) -> None:
    await simnet.produce_blocks(3)
    reader = fresh_reader(client)
    number = simnet.finalized_number - 1
    before = {c: chain_calls(c) for c in ("finalized_head", "block_hash", "neurons_lite")}

    # Before the first head: the node's finalized head, once.
    heads = await asyncio.gather(*(reader.resolve() for _ in range(100)))
    assert {h.number for h in heads} == {simnet.finalized_number}
    # A block by number: its hash, once (and the head it must not pass, once more: the reader
    # has no head of its own yet, and the node's is not kept).
    refs = await asyncio.gather(*(reader.resolve(number=number) for _ in range(100)))
    assert set(refs) == {BlockRef(number, refs[0].hash)}
    # Its metagraph: one get_neurons_lite.
    metagraphs = await asyncio.gather(*(reader.metagraph(refs[0]) for _ in range(100)))
    assert {id(m) for m in metagraphs} == {id(metagraphs[0])}
    assert len(metagraphs[0].neurons) == 1024

    made = {c: chain_calls(c) - before[c] for c in before}
    assert made == {"finalized_head": 2, "block_hash": 1, "neurons_lite": 1}


async def test_an_error_reaches_every_asker_and_is_not_kept(
    simnet: Simnet, client: ChainClient
) -> None:
    reader = fresh_reader(client)
    head = await reader.resolve()
    beyond = head.number + 1_000_000
    # Past the head is refused without a call; a number the node does not know is asked once
    # per wave, and asked again later. (Not past the server's head, so the node's chain is
    # shorter than the one the server follows: unavailable, retry, not "no such block".)
    reader._head = BlockRef(beyond, head.hash)  # as if the follower had seen that far
    before = chain_calls("block_hash")
    outcomes = await asyncio.gather(
        *(reader.resolve(number=beyond) for _ in range(50)), return_exceptions=True
    )
    assert {type(o).__name__ for o in outcomes} == {"ChainUnavailable"}
    assert chain_calls("block_hash") - before == 1
    await asyncio.gather(*(reader.resolve(number=beyond) for _ in range(5)), return_exceptions=True)
    assert chain_calls("block_hash") - before == 2


async def test_a_cancelled_read_stays_cancelled() -> None:
    """Stopping the server cancels tasks that read: not one may swallow the cancellation
    (aiocache's default timeout ran every get through `asyncio.wait_for`, which on Python 3.11
    drops a cancellation landing as the get finishes: SIGTERM then waited forever)."""
    reader = make_reader(FakeChain())
    await reader.metagraph(ref(7))  # cached: every read below is a cache hit

    async def read_forever() -> None:
        while True:
            await reader.metagraph(ref(7))
            await asyncio.sleep(0)  # a server's task does other work between reads

    swallowed = 0
    for attempt in range(200):
        task = asyncio.create_task(read_forever())
        for _ in range(attempt % 7):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.sleep(0.001)
        if not task.done():
            swallowed += 1
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert swallowed == 0
