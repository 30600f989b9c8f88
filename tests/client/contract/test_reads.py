"""Reads: what the client promises, checked on the real server and on the fake alike (a method
against another, or against the rules of the schema)."""

from __future__ import annotations

import contextlib

import pytest
from pylon_gql_client import (
    Block,
    BlockInFuture,
    InvalidInput,
    NeuronFilter,
    NeuronOrder,
    NeuronOrderField,
    OrderDirection,
)

from .conftest import STRANGER, Api


@pytest.fixture
async def head(api: Api) -> Block:
    return await api.head()


async def test_head_is_a_block(api: Api, head: Block) -> None:
    assert head.number > 0
    assert head.hash.startswith("0x") and len(head.hash) == 66
    assert await api.block() == head
    assert await api.block(head.number) == head
    assert await api.block(hash=head.hash) == head
    chain = await api.chain()
    assert chain.head is not None and chain.head.number == head.number


async def test_the_metagraph_lists_every_neuron_by_uid(api: Api, head: Block) -> None:
    metagraph = await api.metagraph(head.number)
    assert metagraph.block.number == head.number
    assert [n.uid for n in metagraph.neurons] == list(range(metagraph.neuron_count))
    assert all(n.block == metagraph.block for n in metagraph.neurons)
    assert await api.neurons(head.number) == metagraph.neurons


async def test_filters(api: Api, head: Block) -> None:
    everyone = await api.neurons(head.number)
    permitted = await api.neurons(head.number, where=NeuronFilter(validator_permit=True))
    assert permitted == [n for n in everyone if n.validator_permit]
    assert permitted
    stake = sorted(n.stake for n in everyone)[len(everyone) // 2]
    rich = await api.neurons(head.number, where={"min_stake": stake})
    assert rich == [n for n in everyone if n.stake >= stake]
    chosen = await api.neurons(head.number, where={"uids": [5, 1, 3]})
    assert [n.uid for n in chosen] == [1, 3, 5]
    by_key = await api.neurons(
        head.number, where={"hotkeys": [everyone[2].hotkey], "coldkeys": [everyone[2].coldkey]}
    )
    assert by_key == [everyone[2]]
    assert await api.neurons(head.number, where={"uids": [1], "active": True}) == [
        n for n in everyone[1:2] if n.active
    ]


async def test_order_and_pages(api: Api, head: Block) -> None:
    order = NeuronOrder(field=NeuronOrderField.STAKE, direction=OrderDirection.DESC)
    ordered = await api.neurons(head.number, order_by=order)
    keys = [(-n.stake, n.uid) for n in ordered]
    assert keys == sorted(keys)  # stake descending, ties by uid ascending
    page = await api.neurons(head.number, order_by=order, first=5, offset=3)
    assert page == ordered[3:8]
    ascending = await api.neurons(head.number, order_by={"field": "LAST_UPDATE"})
    assert [(n.last_update, n.uid) for n in ascending] == sorted(
        (n.last_update, n.uid) for n in ascending
    )
    assert await api.neurons(head.number, first=0) == []


async def test_chosen_fields(api: Api, head: Block) -> None:
    full = await api.neurons(head.number, first=4)
    partial = await api.neurons(head.number, first=4, fields=["hotkey", "validatorTrust"])
    assert [(p.uid, p.block, p.hotkey, p.validator_trust) for p in partial] == [
        (n.uid, n.block, n.hotkey, n.validator_trust) for n in full
    ]
    assert all(p.fields == {"uid", "block", "hotkey", "validator_trust"} for p in partial)
    with pytest.raises(AttributeError, match="`coldkey` was not asked for"):
        _ = partial[0].coldkey  # type: ignore[reportAttributeAccessIssue]  # pyright refuses it too


async def test_one_neuron(api: Api, head: Block) -> None:
    [third] = await api.neurons(head.number, where={"uids": [3]})
    assert await api.neuron(3, block=head.number) == third
    assert await api.neuron(hotkey=third.hotkey, block=head.number) == third
    assert await api.neuron(hotkey=STRANGER) is None
    metagraph = await api.metagraph(head.number, first=0)
    with pytest.raises(InvalidInput):
        await api.neuron(metagraph.neuron_count)
    with pytest.raises(InvalidInput):
        await api.neuron(hotkey="5FakeKey")


async def test_blocks_past_the_head_and_negative_blocks(api: Api, head: Block) -> None:
    later = head.number + 100
    for call in (api.metagraph, api.hyperparameters, api.subnet, api.commitments):
        with pytest.raises(BlockInFuture) as caught:
            await call(later)
        assert caught.value.head == head.number
        with pytest.raises(InvalidInput):
            await call(-1)


async def test_an_epoch_past_the_head_is_predicted(api: Api, head: Block) -> None:
    now = await api.epoch(head.number)
    assert (now.predicted, now.for_block) == (False, head.number)
    later = head.number + 100
    epoch = await api.epoch(later)
    assert epoch.predicted
    assert epoch.block.number == head.number  # predicted from the head's tempo
    assert epoch.for_block == later
    assert epoch.tempo == now.tempo
    assert epoch.start <= later <= epoch.end == epoch.start + epoch.tempo
    assert epoch.blocks_remaining == epoch.end + 1 - later
    # subtensor runs the epoch at its start: tempo - (start + netuid + 1) % (tempo + 1) == 0
    assert (epoch.start + epoch.netuid + 1) % (epoch.tempo + 1) == epoch.tempo
    with pytest.raises(InvalidInput):
        await api.epoch(-1)


async def test_epoch(api: Api, head: Block) -> None:
    epoch = await api.epoch(head.number)
    assert epoch.block.number == head.number
    assert epoch.start <= head.number <= epoch.end
    assert epoch.blocks_remaining == epoch.end + 1 - head.number
    window = epoch.commit_window
    assert epoch.start <= window.start <= window.end <= epoch.end
    assert window.open == (window.start <= head.number <= window.end)
    hyperparameters = await api.hyperparameters(head.number)
    subnet = await api.subnet(head.number)
    assert epoch.tempo == hyperparameters.tempo == subnet.tempo
    assert epoch.netuid == subnet.netuid


async def test_commitments(api: Api, head: Block) -> None:
    commitments = await api.commitments(head.number)
    assert commitments
    for commitment in commitments:
        assert await api.commitment(commitment.hotkey, block=head.number) == commitment
        raw = bytes.fromhex(commitment.data.removeprefix("0x"))
        try:
            assert commitment.text == raw.decode()
        except UnicodeDecodeError:
            assert commitment.text is None
    assert await api.commitment(STRANGER, block=head.number) is None


async def test_the_block_stream_starts_where_asked(api: Api, head: Block) -> None:
    async with contextlib.aclosing(api.subscribe_blocks(from_block=head.number)) as stream:
        assert await anext(stream) == head
