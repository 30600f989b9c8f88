"""Subscriptions: new and finalized heads, storage changes, and a submitted extrinsic's progress."""

from __future__ import annotations

import asyncio
from typing import Any

import turbobt

from pylon_gql.simnet import Simnet

from .conftest import BOB, Wallets, commitment_info, manual_blocks, raw_request


async def test_new_heads_subscription_and_unsubscribe(simnet: Simnet, bt: turbobt.Bittensor):
    subscription_id = await bt.subtensor.rpc("chain_subscribeNewHeads", {})
    assert isinstance(subscription_id, str)
    subscription = await bt.subtensor.subscribe(subscription_id)
    first = int((await subscription.__anext__())["number"], 16)
    assert first == simnet.head_number
    await simnet.produce_blocks(2)
    async with asyncio.timeout(10):
        numbers = [int((await subscription.__anext__())["number"], 16) for _ in range(2)]
    assert numbers == [first + 1, first + 2]
    rpc: Any = bt.subtensor.rpc  # turbobt sends unsubscribe params as a list
    assert await rpc("chain_unsubscribeNewHeads", [subscription_id]) is True
    assert await rpc("chain_unsubscribeNewHeads", [subscription_id]) is False
    await bt.subtensor.unsubscribe(subscription_id)


async def test_finalized_heads_subscription_gives_consecutive_blocks(
    simnet: Simnet, bt: turbobt.Bittensor
):
    chain = bt.subtensor.chain
    subscription_id = await chain.subscribeFinalizedHeads()
    subscription = await bt.subtensor.subscribe(subscription_id)
    first = int((await subscription.__anext__())["number"], 16)
    assert first == simnet.finalized_number

    await simnet.produce_blocks(20)
    numbers = []
    async with asyncio.timeout(10):
        while len(numbers) < 20:
            numbers.append(int((await subscription.__anext__())["number"], 16))
    assert numbers == list(range(first + 1, first + 21))
    assert simnet.finalized_number == first + 20 == simnet.head_number - 2
    assert await chain.unsubscribeFinalizedHeads(subscription_id) is True
    await bt.subtensor.unsubscribe(subscription_id)


async def test_storage_subscription_sends_changes(simnet: Simnet, bt: turbobt.Bittensor):
    await bt.subtensor._init_runtime()
    subscription = await bt.subtensor.timestamp.Now.subscribe()
    first = await subscription.__anext__()
    assert first["block"] == simnet.head_hash
    ((_, now),) = first["changes"]
    await simnet.produce_blocks(2)
    async with asyncio.timeout(10):
        changes = [await subscription.__anext__() for _ in range(2)]
    assert [c["changes"][0][1] for c in changes] == [now + 12_000, now + 24_000]
    assert changes[-1]["block"] == simnet.head_hash
    assert await bt.subtensor.state.unsubscribeStorage(subscription.id) is True


async def test_watch_statuses_in_manual_mode(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    """ready at once, inBlock when a block is made, finalized finality_lag blocks later."""
    subtensor = wbt.subtensor
    bob = wallets.validator.hotkey
    with manual_blocks(writer):
        nonce = await subtensor.system.accountNextIndex(bob.ss58_address)
        result = await subtensor.commitments.set_commitment(
            1, commitment_info(b"watched"), wallet=wallets.validator
        )
        statuses = aiter(result.subscription)
        assert await asyncio.wait_for(anext(statuses), 5) == "ready"
        # in the pool: the next index counts it, the state does not yet
        assert await subtensor.system.accountNextIndex(bob.ss58_address) == nonce + 1
        pending = await raw_request(writer.url, "author_pendingExtrinsics", [])
        assert pending["result"] == ["0x" + bytes(result.extrinsic.data.data).hex()]

        await writer.produce_blocks(1)
        assert await asyncio.wait_for(anext(statuses), 5) == {"inBlock": writer.head_hash}
        included = writer.head_hash
        await writer.produce_blocks(writer.config.finality_lag)
        assert writer.finalized_hash == included
        # the next status is {"finalized": included}: wait_for_finalization takes it, finds
        # the extrinsic in that block by hash, reads its events, and returns (it succeeded)
        await asyncio.wait_for(result.wait_for_finalization(), 5)
    commitment = await wbt.subnet(1).commitments.get(BOB, block_hash=included)
    assert commitment is not None and commitment["data"] == b"watched"


async def test_ending_a_subscription_that_is_not_there(simnet: Simnet):
    async def answer(method: str, params: Any) -> Any:
        return await raw_request(simnet.url, method, params)

    assert (await answer("chain_unsubscribeNewHeads", ["nope"]))["result"] is False
    assert (await answer("author_unwatchExtrinsic", ["nope"]))["result"] is False
    assert (await answer("author_unwatchExtrinsic", []))["error"]["code"] == -32602
    assert (await answer("state_unsubscribeStorage", []))["error"]["code"] == -32602
    assert (await answer("state_subscribeStorage", [[]]))["error"]["code"] == -32602
