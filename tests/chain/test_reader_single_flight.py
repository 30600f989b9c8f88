"""Every chain read the reader makes is one node call for concurrent askers (a real simnet)."""

from __future__ import annotations

import asyncio

from pylon_gql import metrics
from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef
from pylon_gql.settings import Settings
from pylon_gql.simnet import Simnet


def chain_calls(call: str) -> float:
    return metrics.CHAIN_CALLS.labels(call, "ok")._value.get()


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
    # per wave, and asked again later.
    reader._head = BlockRef(beyond, head.hash)  # as if the follower had seen that far
    before = chain_calls("block_hash")
    outcomes = await asyncio.gather(
        *(reader.resolve(number=beyond) for _ in range(50)), return_exceptions=True
    )
    assert {type(o).__name__ for o in outcomes} == {"BlockNotFound"}
    assert chain_calls("block_hash") - before == 1
    await asyncio.gather(*(reader.resolve(number=beyond) for _ in range(5)), return_exceptions=True)
    assert chain_calls("block_hash") - before == 2
