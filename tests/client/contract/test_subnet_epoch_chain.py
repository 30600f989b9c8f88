"""`subnet(netuid=)` answers what `subnets()` lists, `epoch()` carries the epoch after it, and
`chain()` says whether the head is stale: on the server and on the fake alike."""

from __future__ import annotations

import pytest
from pylon_gql_client import Block, NotFound

from .conftest import Api


@pytest.fixture
async def head(api: Api) -> Block:
    return await api.head()


async def test_subnet_is_the_entry_subnets_lists(api: Api, head: Block) -> None:
    listed = await api.subnets(head.number)
    assert len(listed) >= 2
    for entry in listed:
        assert await api.subnet(head.number, netuid=entry.netuid) == entry
        assert entry.block.number == head.number
    served = await api.subnet(head.number)
    assert served in listed
    assert served.epoch is not None and served.epoch.start <= head.number <= served.epoch.end
    with pytest.raises(NotFound):
        await api.subnet(head.number, netuid=999)


async def test_epoch_carries_the_next_one(api: Api, head: Block) -> None:
    epoch = await api.epoch(head.number)
    following = epoch.next
    assert following is not None
    assert following.start == epoch.end + 1 == following.for_block
    assert following.end == following.start + following.tempo
    assert following.tempo == epoch.tempo and following.netuid == epoch.netuid
    # it starts past the head: predicted from the head's tempo, at the head
    assert following.predicted and following.block.number == head.number
    assert following.next is None  # `epoch()` asks one epoch ahead
    # what `epoch(end + 1)` predicts, but for the epoch after that
    ahead = await api.epoch(following.start)
    assert ahead.model_copy(update={"next": None}) == following
    assert ahead.next is not None and ahead.next.start == ahead.end + 1


async def test_chain_says_whether_the_head_is_stale(api: Api) -> None:
    chain = await api.chain()
    assert chain.head is not None
    # A head the server has seen: fresh or stale (the session's blocks come when tests make
    # them), never unknown.
    assert isinstance(chain.stale, bool)
