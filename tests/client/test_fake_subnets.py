"""The fake's subnets (`pylon_gql_client.testing.subnets`): what it keeps per subnet, its
history of blocks before its first head, and scripted answers across the `netuid` argument.
That it answers like the server is the contract suite's (`contract/test_subnets.py`)."""

from __future__ import annotations

import pytest
from pylon_gql_client import InvalidInput, NotFound
from pylon_gql_client.testing import FakeAsyncPylonClient, FakePylonClient, sample_data


async def test_writes_land_on_the_served_subnet_only() -> None:
    fake = FakeAsyncPylonClient(block_time=None)
    before = await fake.commitments(netuid=2)
    done = await fake.set_commitment("on subnet 1")
    mine = [c for c in await fake.commitments() if c.hotkey == fake.hotkey]
    assert [c.text for c in mine] == ["on subnet 1"]
    assert await fake.commitments(netuid=1) == await fake.commitments()
    after = await fake.commitments(netuid=2)
    assert [c.data for c in after] == [c.data for c in before]
    assert all(c.block == done.block for c in after)
    assert (await fake.hyperparameters(netuid=2)).tempo == 360  # subnet 2's own


async def test_history_before_the_first_head_says_which_block() -> None:
    fake = FakeAsyncPylonClient(block_time=None)
    head = (await fake.head()).number
    fake.produce_blocks(2)
    series = await fake.history(head - 2, head + 2, netuid=2, first=1)
    assert [p.block.number for p in series] == list(range(head - 2, head + 3))
    assert len({p.block.hash for p in series}) == 5
    known = [await fake.block(number) for number in range(head, head + 3)]
    assert [p.block.hash for p in series[2:]] == [b.hash for b in known if b is not None]
    assert all([n.uid for n in p.neurons] == [0] and p.netuid == 2 for p in series)


async def test_an_answer_function_of_the_arguments_it_knows() -> None:
    fake = FakeAsyncPylonClient()
    fake.answer("epoch", lambda block: block)  # written before `netuid`
    assert await fake.epoch(5) == 5
    with pytest.raises(TypeError, match="netuid"):
        await fake.epoch(5, netuid=2)  # the answer does not know which subnet was asked
    fake.answer("epoch", lambda block, netuid: (block, netuid))
    assert await fake.epoch(5, netuid=2) == (5, 2)
    assert fake.calls_to("epoch")[-1] == {"block": 5, "netuid": 2}


def test_the_blocking_fake_reads_each_subnet() -> None:
    with FakePylonClient() as client:
        assert [s.netuid for s in client.subnets(order_by={"direction": "DESC"})] == [2, 1]
        assert client.metagraph(netuid=2, first=3).netuid == 2
        head = client.head().number
        assert len(client.history(head - 4, head, step=2, netuid=2, first=0)) == 3
        with pytest.raises(NotFound, match="the fake has subnets 1, 2"):
            client.epoch(netuid=3)


async def test_a_file_of_one_subnet_has_the_samples_others() -> None:
    data = sample_data()
    data["metagraph"]["neurons"] = data["metagraph"]["neurons"][:3]
    data["metagraph"]["neuronCount"] = 3
    fake = FakeAsyncPylonClient({"metagraph": data["metagraph"]})
    assert (await fake.metagraph()).neuron_count == 3
    assert (await fake.metagraph(netuid=2)).neuron_count == 64
    without_others = FakeAsyncPylonClient({"otherSubnets": {}})
    with pytest.raises(NotFound):
        await without_others.subnet(netuid=2)


async def test_a_cursor_belongs_to_its_subnets_list() -> None:
    fake = FakeAsyncPylonClient()
    page = await fake.neuron_page(netuid=2, first=2)
    assert page.page_info.end_cursor is not None
    following = await fake.neuron_page(netuid=2, first=2, after=page.page_info.end_cursor)
    assert [n.uid for n in following.neurons] == [2, 3]
    with pytest.raises(InvalidInput, match="not a cursor of this list"):
        await fake.neuron_page(netuid=1, first=2, after=page.page_info.end_cursor)


async def test_the_subnet_list_holds_each_subnet_as_read_alone() -> None:
    fake = FakeAsyncPylonClient()
    owner = (await fake.neurons(first=2))[1].hotkey
    await fake.set_hyperparameter("sn_owner_hotkey", owner)
    listed = await fake.subnets()
    alone = [await fake.subnet(netuid=netuid) for netuid in (1, 2)]
    assert listed == alone
    assert listed[0].owner_hotkey == owner
