"""PYLON_NETUIDS: the follower warms each named subnet at every head; others are read on
demand, once per block for concurrent askers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain.errors import SubnetNotFound
from pylon_gql.chain.follower import Follower
from pylon_gql.chain.reader import ChainReader
from pylon_gql.events import EventHub
from pylon_gql.settings import Settings

from .fakes import FakeChain, block_hash, ref


async def _followed(netuids: str | None) -> AsyncIterator[tuple[FakeChain, ChainReader]]:
    chain = FakeChain(head=10)
    settings = Settings(_env_file=None, netuid=1, netuids=netuids)  # type: ignore[call-arg]
    reader = ChainReader(chain, settings)  # type: ignore[arg-type]
    hub = EventHub()
    events = hub.subscribe()
    follower = Follower(chain, reader, hub, min_backoff=0.01, poll_interval=0.01)
    await follower.start()
    await chain.announce(10)
    async with asyncio.timeout(5):
        assert (await anext(events)).ref.number == 10
    try:
        yield chain, reader
    finally:
        await follower.stop()


@pytest.fixture
async def two_warmed() -> AsyncIterator[tuple[FakeChain, ChainReader]]:
    async for followed in _followed("1, 2"):
        yield followed


@pytest.fixture
async def one_warmed() -> AsyncIterator[tuple[FakeChain, ChainReader]]:
    async for followed in _followed(None):
        yield followed


async def test_every_subnet_of_pylon_netuids_is_warm_at_the_head(two_warmed) -> None:
    chain, reader = two_warmed
    head = block_hash(10)
    assert chain.calls[("metagraph", head)] == 2  # subnets 1 and 2
    assert chain.calls[("hyperparameters", head)] == 2
    one = await reader.metagraph(ref(10), 1)
    two = await reader.metagraph(ref(10), 2)
    await reader.hyperparameters(ref(10), 2)
    assert (one.netuid, two.netuid) == (1, 2)
    assert chain.calls[("metagraph", head)] == 2  # no call more: both were warm
    assert chain.calls[("hyperparameters", head)] == 2


async def test_other_subnets_are_read_on_demand_once_for_concurrent_askers(one_warmed) -> None:
    chain, reader = one_warmed
    head = block_hash(10)
    assert chain.calls[("metagraph", head)] == 1  # the served subnet only
    found = await asyncio.gather(*(reader.metagraph(ref(10), 2) for _ in range(20)))
    assert {m.netuid for m in found} == {2}
    assert chain.calls[("metagraph", head)] == 2  # one call for the 20 askers of subnet 2
    with pytest.raises(SubnetNotFound, match="subnet 9 does not exist"):
        await reader.metagraph(ref(10), 9)


def test_pylon_netuids_names_subnet_numbers() -> None:
    settings = Settings(_env_file=None, netuid=3, netuids="3,1,3")  # type: ignore[call-arg]
    assert settings.warmed_netuids == [3, 1]
    assert Settings(_env_file=None, netuid=3).warmed_netuids == [3]  # type: ignore[call-arg]
    for bad in ("1,,2", "x", "70000", "-1"):
        with pytest.raises(ValueError, match="is not a subnet number"):
            Settings(_env_file=None, netuids=bad)  # type: ignore[call-arg]
