"""The chain: timestamps, determinism, copy-on-write states, pruning like a pruned node."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
import turbobt
from turbobt.substrate.exceptions import UnknownBlock

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.snapshot import get_snapshot
from pylon_gql.simnet.state import BlockDraft
from pylon_gql.simnet.transaction import Transaction
from pylon_gql.simnet.world import World

from .conftest import NEURONS_LITE_1, SNAPSHOT, SNAPSHOT_HASH, START_MS, raw_request


async def test_timestamps_are_block_time_apart(simnet: Simnet, bt: turbobt.Bittensor):
    snapshot = await bt.block(SNAPSHOT).get()
    assert await snapshot.get_timestamp() == datetime.datetime.fromtimestamp(
        START_MS / 1000, tz=datetime.UTC
    )
    await simnet.produce_blocks(1)
    later = await bt.block(SNAPSHOT + 1).get()
    delta = await later.get_timestamp() - await snapshot.get_timestamp()
    assert delta == datetime.timedelta(seconds=12)


async def test_the_same_seed_gives_the_same_chain():
    async def chain(seed: int) -> list[str]:
        config = SimnetConfig(port=0, manual=True, seed=seed, start_timestamp_ms=1)
        async with Simnet(config) as simnet:
            await simnet.produce_blocks(5)
            return [simnet.world.hash_by_number[6852690 + i] for i in range(6)]

    first, again, other = await chain(7), await chain(7), await chain(8)
    assert first == again
    assert first[0] == other[0] == SNAPSHOT_HASH
    assert first[1:] != other[1:]


async def test_unchanged_neurons_are_shared_between_blocks(simnet: Simnet):
    await simnet.produce_blocks(1)
    world = simnet.world
    head = world.head
    parent = world.state_of(head.header.parent_hash)
    assert parent is not None
    shared = sum(
        a is b for a, b in zip(head.subnets[1].neurons, parent.subnets[1].neurons, strict=True)
    )
    assert 900 < shared < 1024


async def test_pruned_state_is_already_discarded():
    config = SimnetConfig(port=0, manual=True, history=4, finality_lag=1)
    async with Simnet(config) as simnet, turbobt.Bittensor(simnet.url) as bt:
        await simnet.produce_blocks(6)
        assert simnet.finalized_number == simnet.head_number - 1
        # headers stay (a pruned node keeps blocks); the state of old blocks does not
        snapshot = await bt.block(6852690).get()
        assert snapshot.hash == SNAPSHOT_HASH
        with pytest.raises(UnknownBlock, match=f"State already discarded for {SNAPSHOT_HASH}"):
            await bt.subnet(1).list_neurons(block_hash=SNAPSHOT_HASH)
        with pytest.raises(UnknownBlock, match="State already discarded"):
            await snapshot.get_timestamp()
        # kept: the last 4 finalized blocks and the unfinalized head
        oldest_kept = await bt.block(simnet.finalized_number - 3).get()
        assert len(await bt.subnet(1).list_neurons(block_hash=oldest_kept.hash)) == 1024
        too_old = await bt.block(simnet.finalized_number - 4).get()
        with pytest.raises(UnknownBlock, match="State already discarded"):
            await too_old.get_timestamp()


async def test_archive_keeps_every_state():
    async with Simnet(SimnetConfig(port=0, manual=True, history=2, archive=True)) as simnet:
        await simnet.produce_blocks(5)
        answer = await raw_request(simnet.url, "state_call", [*NEURONS_LITE_1, SNAPSHOT_HASH])
        assert "result" in answer


def test_the_world_runs_its_pool_through_the_write_path_it_is_given():
    """The world never imports the dispatcher: it calls whatever `apply_transactions` it was
    handed with the block being built, and keeps what that made."""
    runtime = get_runtime()
    calls: list[tuple[int, list[Transaction], int, int]] = []
    signer = b"\x09" * 32

    def apply(
        block: BlockDraft, transactions: Sequence[Transaction], first_index: int
    ) -> list[dict[str, Any]]:
        calls.append((block.number, list(transactions), first_index, block.stake_threshold))
        block.accounts[signer] = {"nonce": 1}
        return [{"phase": {"ApplyExtrinsic": first_index}, "event": "applied", "topics": []}]

    world = World(
        runtime, get_snapshot(runtime), apply_transactions=apply, start_timestamp_ms=START_MS
    )
    empty, _ = world.produce()
    assert calls == []  # no transactions: the write path is not called
    transaction = Transaction(
        data=b"\x08\x84\x00", hash="0x01", signer=signer, nonce=0, pallet="P", function="f", args={}
    )
    world.submit(transaction)
    assert world.next_index(signer) == 1
    state, _ = world.produce()
    # extrinsic 0 of every block is the timestamp inherent
    assert calls == [(empty.number + 1, [transaction], 1, empty.stake_threshold)]
    assert state.events == ({"phase": {"ApplyExtrinsic": 1}, "event": "applied", "topics": []},)
    assert state.accounts[signer] == {"nonce": 1}
    assert signer not in empty.accounts  # the draft's accounts are a copy
    assert world.bodies[state.hash] == (b"\x08\x84\x00",)
    assert world.pool == []
    assert world.account_nonce(signer) == world.next_index(signer) == 1
