"""The fake client (`pylon_gql_client.testing.fake` and the modules behind it): its own
controls (canned data from a file, overridden answers, errors, calls), and how its chain moves.
That it answers like the server is the contract suite's (`tests/client/contract`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from pylon_gql_client import (
    BlockInFuture,
    CommitRefused,
    Epoch,
    InvalidInput,
    PermissionDenied,
    SyncClientInEventLoop,
    Unavailable,
    ValidationFailed,
    WeightInput,
)
from pylon_gql_client.testing import (
    Call,
    FakeAsyncPylonClient,
    FakePylonClient,
    sample_data,
)

from .waiting import PATIENCE


async def test_answers_from_a_json_file(tmp_path: Path) -> None:
    data = sample_data()
    data["subnet"]["name"] = "My subnet"
    data["metagraph"]["neurons"] = data["metagraph"]["neurons"][:3]
    data["metagraph"]["neuronCount"] = 3
    path = tmp_path / "canned.json"
    path.write_text(json.dumps({"subnet": data["subnet"], "metagraph": data["metagraph"]}))
    fake = FakeAsyncPylonClient(path)
    assert (await fake.subnet()).name == "My subnet"
    assert [n.uid for n in await fake.neurons()] == [0, 1, 2]
    # keys left out come from the built-in sample
    assert (await fake.head()).number == sample_data()["head"]["number"]


async def test_an_answer_overridden_by_value_or_function() -> None:
    fake = FakeAsyncPylonClient()
    epoch = (await fake.epoch()).model_copy(update={"index": 7})
    fake.answer("epoch", epoch)
    assert await fake.epoch() == epoch
    fake.answer("neuron", lambda uid, hotkey, block: None if uid == 1 else "someone")
    assert await fake.neuron(1) is None
    assert await fake.neuron(2) == "someone"
    fake.reset("epoch")
    assert (await fake.epoch()).index != 7


async def test_a_method_made_to_raise() -> None:
    fake = FakeAsyncPylonClient()
    fake.fail("metagraph", Unavailable("the chain is down"))
    with pytest.raises(Unavailable, match="the chain is down"):
        await fake.metagraph()
    fake.fail("subscribe_blocks", PermissionDenied("no"))
    with pytest.raises(PermissionDenied):
        await anext(fake.subscribe_blocks())
    fake.reset()
    assert (await fake.metagraph()).neuron_count == 64
    with pytest.raises(AttributeError):
        fake.fail("set_weightz", Unavailable("x"))


async def test_calls_are_recorded() -> None:
    fake = FakeAsyncPylonClient()
    await fake.neuron(3)
    await fake.neurons(first=2, fields=["stake"])
    assert fake.calls[0] == Call(
        "neuron", {"uid": 3, "hotkey": None, "block": None, "netuid": None}
    )
    assert fake.calls_to("neurons") == [
        {
            "block": None,
            "netuid": None,
            "where": None,
            "order_by": None,
            "first": 2,
            "offset": 0,
            "fields": ["stake"],
        }
    ]


async def test_produced_blocks_arrive_on_the_stream() -> None:
    fake = FakeAsyncPylonClient(block_time=None)
    head = await fake.head()
    async with contextlib.aclosing(fake.subscribe_blocks()) as stream:
        pending = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)  # the stream subscribes when first read
        new = fake.produce_blocks(1)
        assert await asyncio.wait_for(pending, 10) == new
        assert new.number == head.number + 1 and new.parent_hash == head.hash
        assert await fake.block(new.number) == new


async def test_the_stream_of_new_blocks_moves_by_itself() -> None:
    # A validator loop over `subscribe_blocks()` gets blocks without the test making them.
    fake = FakeAsyncPylonClient(block_time=0.01)
    head = await fake.head()
    async with contextlib.aclosing(fake.subscribe_blocks()) as stream:
        async with asyncio.timeout(PATIENCE):
            blocks = [await anext(stream) for _ in range(3)]
    assert [b.number for b in blocks] == [head.number + 1, head.number + 2, head.number + 3]
    assert [b.parent_hash for b in blocks] == [head.hash, blocks[0].hash, blocks[1].hash]
    assert (await fake.head()).number >= head.number + 3


async def test_without_a_block_time_the_stream_waits_for_the_test() -> None:
    fake = FakeAsyncPylonClient(block_time=None)
    async with contextlib.aclosing(fake.subscribe_blocks()) as stream:
        pending = asyncio.create_task(anext(stream))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not pending.done()
        made = fake.produce_blocks(1)
        assert await asyncio.wait_for(pending, PATIENCE) == made


def test_the_blocking_fake_from_plain_code() -> None:
    fake = FakePylonClient()
    fake.answer("epoch", None)
    assert fake.epoch() is None
    assert fake.neuron(0) is not None
    assert fake.calls_to("neuron") == [{"uid": 0, "hotkey": None, "block": None, "netuid": None}]
    fake.fail("head", Unavailable("down"))
    with pytest.raises(Unavailable):
        fake.head()
    fake.reset()
    hotkey = fake.neurons(first=1)[0].hotkey
    assert fake.set_weight(hotkey, 2.0).weight.weight == 2.0
    assert [w.weight for w in fake.weights().weights] == [2.0]
    assert fake.commit_weights().status == "PENDING"
    assert [c.id for c in fake.weight_commits()] == [1]
    head = fake.head()
    blocks = fake.subscribe_blocks(from_block=head.number)
    assert next(blocks) == head
    blocks.close()
    fake.close()


async def test_the_blocking_fake_in_an_event_loop_raises_like_the_real_one() -> None:
    fake = FakePylonClient()
    with pytest.raises(SyncClientInEventLoop):
        fake.epoch()
    assert isinstance(await asyncio.to_thread(fake.epoch), Epoch)


# --- what only the fake shows: how its chain moves (the rules are the contract suite's)


async def test_a_commit_is_in_flight_until_the_next_block() -> None:
    fake = FakeAsyncPylonClient()
    [hotkey] = [n.hotkey for n in await fake.neurons(first=1)]
    await fake.set_weight(hotkey, 1.0)
    first = await fake.commit_weights()
    with pytest.raises(CommitRefused) as caught:
        await fake.commit_weights()
    assert caught.value.reason == "in_flight"
    block = fake.produce_blocks(1)
    [landed] = await fake.weight_commits(1)
    assert (landed.id, landed.status, landed.block.number) == (
        first.id,
        "FINALIZED",
        block.number,
    )
    assert (await fake.commit_weights()).id == first.id + 1


async def test_a_validator_without_a_uid_cannot_commit() -> None:
    fake = FakeAsyncPylonClient()
    [hotkey] = [n.hotkey for n in await fake.neurons(first=1)]
    await fake.set_weight(hotkey, 1.0)
    fake.hotkey = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
    with pytest.raises(CommitRefused) as caught:
        await fake.commit_weights()
    assert caught.value.reason == "not_registered"


async def test_a_batch_larger_than_the_servers_is_refused() -> None:
    fake = FakeAsyncPylonClient()
    [hotkey] = [n.hotkey for n in await fake.neurons(first=1)]
    with pytest.raises(ValidationFailed) as caught:
        await fake.set_weights([WeightInput(hotkey=hotkey, weight=1.0)] * 4097)
    assert "PYLON_MAX_WEIGHTS_BATCH=4096" in caught.value.message
    assert caught.value.entries == []


async def test_writes_land_in_blocks_of_their_own() -> None:
    fake = FakeAsyncPylonClient(block_time=None)
    head = await fake.head()
    async with contextlib.aclosing(fake.subscribe_blocks()) as stream:
        pending = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)
        done = await fake.set_commitment("hello")
        assert (await asyncio.wait_for(pending, 10)).number == done.block.number
    assert done.block.number == head.number + 1
    [mine] = [c for c in await fake.commitments() if c.hotkey == fake.hotkey]
    assert mine.block == done.block and mine.text == "hello"
    owner = (await fake.neurons(first=2))[1].hotkey
    changed = await fake.set_hyperparameter("sn_owner_hotkey", owner)
    assert changed.value == owner  # read back from the subnet's storage (SubnetOwnerHotkey)
    assert (await fake.subnet()).owner_hotkey == owner
    assert (await fake.head()).number == head.number + 2


async def test_the_block_stream_refuses_what_the_client_and_the_server_refuse() -> None:
    fake = FakeAsyncPylonClient()
    head = await fake.head()
    with pytest.raises(InvalidInput):
        await anext(fake.subscribe_blocks(from_block=-1))
    with pytest.raises(BlockInFuture) as caught:
        await anext(fake.subscribe_blocks(from_block=head.number + 2))
    assert caught.value.head == head.number


async def test_weights_per_mechanism_as_the_server_keeps_them() -> None:
    fake = FakeAsyncPylonClient()
    [hotkey] = [n.hotkey for n in await fake.neurons(first=1)]
    with pytest.raises(InvalidInput, match=r"has 1 mechanism\(s\)"):
        await fake.set_weight(hotkey, 1.0, mechanism=1)
    fake.set_mechanism_count(2)
    await fake.set_weight(hotkey, 1.0)
    written = await fake.set_weight(hotkey, 4.0, mechanism=1)
    assert (written.weight.weight, written.weight.mechanism) == (4.0, 1)
    assert [w.weight for w in (await fake.weights()).weights] == [1.0]
    one = await fake.weights(mechanism=1)
    assert one.mechanism == 1 and [w.weight for w in one.weights] == [4.0]
    commit = await fake.commit_weights(mechanism=1)
    assert commit.mechanism == 1
    await fake.clear_weights(mechanism=1)
    assert (await fake.weights(mechanism=1)).weights == []
    assert [w.weight for w in (await fake.weights()).weights] == [1.0]
