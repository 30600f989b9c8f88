"""ChainClient and ChainReader over a real websocket, against the simulated node."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from pylon_gql import metrics
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import BlockNotFound, BlockPruned, FutureBlock, SubnetNotFound
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef, Metagraph
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet

from .conftest import START_MS, simnet_config
from .fixtures import SNAPSHOT, SNAPSHOT_HASH, SNAPSHOT_NUMBER, expected_neurons

SNAPSHOT_REF = BlockRef(SNAPSHOT_NUMBER, SNAPSHOT_HASH)


def chain_calls(call: str) -> float:
    return metrics.CHAIN_CALLS.labels(call, "ok")._value.get()


def make_reader(client: ChainClient, **settings: object) -> ChainReader:
    return ChainReader(client, Settings(**{"netuid": 1, **settings}))  # type: ignore[arg-type]


async def test_metagraph_at_the_snapshot_is_the_finney_metagraph(client: ChainClient) -> None:
    reader = make_reader(client)

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
    reader = make_reader(client)
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
    reader = make_reader(client, cache_blocks=2)
    await simnet.produce_blocks(3)
    head = (await reader.resolve()).number
    refs = [await reader.resolve(number=n) for n in (head - 2, head - 1, head)]
    before = chain_calls("hyperparameters")

    for ref in refs:
        await reader.hyperparameters(ref)
    await reader.hyperparameters(refs[2])  # cached
    await reader.hyperparameters(refs[0])  # evicted by the third block

    assert chain_calls("hyperparameters") - before == 4
    assert reader.cached_blocks == 2


async def test_block_subnet_hyperparameters_and_epoch(client: ChainClient) -> None:
    reader = make_reader(client)

    block = await reader.block(SNAPSHOT_REF)
    subnet = await reader.subnet(SNAPSHOT_REF)
    hyperparameters = await reader.hyperparameters(SNAPSHOT_REF)
    epoch = await reader.epoch(SNAPSHOT_REF)

    assert block.parent_hash == SNAPSHOT["header"]["parentHash"]
    assert block.timestamp == datetime.datetime.fromtimestamp(START_MS / 1000, tz=datetime.UTC)
    assert subnet.netuid == 1 and subnet.name == "Apex"
    assert hyperparameters.tempo == subnet.tempo == epoch.tempo == 360
    assert epoch.start <= SNAPSHOT_NUMBER <= epoch.end
    assert epoch.blocks_remaining == 360 - (SNAPSHOT_NUMBER + 2) % 361


async def test_commitments_of_the_synthetic_subnet(client: ChainClient) -> None:
    reader = make_reader(client, netuid=2)

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
    reader = make_reader(client)
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
    reader = make_reader(client, netuid=77)

    with pytest.raises(SubnetNotFound):
        await reader.metagraph(SNAPSHOT_REF)
    with pytest.raises(SubnetNotFound):
        await reader.subnet(SNAPSHOT_REF)


async def test_chain_info(client: ChainClient) -> None:
    info = await make_reader(client).chain_info()

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
    together = make_reader(client)
    apart = make_reader(client)

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
