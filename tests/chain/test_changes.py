"""ChangeWatcher: epochs, registrations and commitment changes from consecutive blocks."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain.changes import ChangeWatcher
from pylon_gql.chain.epochs import epoch_at
from pylon_gql.chain.errors import ChainUnavailable, SubnetNotFound
from pylon_gql.events import (
    CommitmentChange,
    EventHub,
    NeuronRegistration,
    NewBlock,
    NewEpoch,
)
from pylon_gql.models import BlockRef, Commitment, Epoch, Metagraph, Neuron

from .fakes import eventually, neuron, ref

TEMPO = 9  # subnet 1's epochs start where (block + 2) % 10 == 9: 7, 17, 27, ...


class Chain:
    """Per block: the metagraph and commitments a test scripts; epochs from TEMPO."""

    def __init__(self) -> None:
        self.neurons: dict[int, tuple[Neuron, ...]] = {}
        self.by_block: dict[int, tuple[Commitment, ...]] = {}
        self.missing: set[int] = set()
        self.unavailable: set[int] = set()
        self.commitment_reads = 0

    def _check(self, block: BlockRef) -> None:
        if block.number in self.unavailable:
            self.unavailable.discard(block.number)
            raise ChainUnavailable("node down")
        if block.number in self.missing:
            raise SubnetNotFound("no subnet")

    async def epoch(self, ref: BlockRef) -> Epoch:
        self._check(ref)
        return epoch_at(ref.number, 1, TEMPO, commit_window_start_offset=0,
                        commit_window_end_buffer=0)  # fmt: skip

    async def metagraph(self, ref: BlockRef) -> Metagraph:
        self._check(ref)
        latest = max(n for n in self.neurons if n <= ref.number)
        return Metagraph(netuid=1, block=ref, neurons=self.neurons[latest])

    async def commitments(self, ref: BlockRef) -> tuple[Commitment, ...]:
        self.commitment_reads += 1
        latest = max((n for n in self.by_block if n <= ref.number), default=None)
        return () if latest is None else self.by_block[latest]


def renamed(n: Neuron, hotkey: str) -> Neuron:
    return dataclasses.replace(n, hotkey=hotkey, coldkey=f"cold-{hotkey}")


def holder(uid: int, hotkey: str) -> Neuron:
    return renamed(neuron(uid), hotkey)


@pytest.fixture
async def watched() -> AsyncIterator[tuple[Chain, EventHub, ChangeWatcher]]:
    chain, hub = Chain(), EventHub()
    chain.neurons[0] = tuple(neuron(uid) for uid in range(4))
    watcher = ChangeWatcher(chain, hub, min_backoff=0.01)
    await watcher.start()
    yield chain, hub, watcher
    await watcher.stop()


async def test_a_new_epoch_is_published_at_its_first_block(watched) -> None:
    _, hub, _ = watched
    events = hub.subscribe(NewEpoch)
    for number in range(5, 20):
        hub.publish(NewBlock(ref(number)))
    first = await asyncio.wait_for(anext(events), 5)
    second = await asyncio.wait_for(anext(events), 5)
    assert isinstance(first, NewEpoch) and isinstance(second, NewEpoch)
    assert (first.ref.number, first.epoch.start) == (7, 7)
    assert (second.ref.number, second.epoch.start, second.epoch.index) == (
        17,
        17,
        first.epoch.index + 1,
    )


async def test_a_uid_taken_over_is_a_deregistration_then_a_registration(watched) -> None:
    chain, hub, _ = watched
    events = hub.subscribe(NeuronRegistration)
    base = chain.neurons[0]
    chain.neurons[3] = (base[0], renamed(base[1], "newcomer"), base[2], base[3], neuron(4))
    chain.neurons[5] = (base[0], renamed(base[1], "newcomer"), base[2])
    for number in range(1, 7):
        hub.publish(NewBlock(ref(number)))
    async with asyncio.timeout(5):
        got = [await anext(events) for _ in range(5)]
    assert [(e.ref.number, e.uid, e.hotkey, e.change) for e in got] == [
        (3, 1, "hotkey-1", "deregistered"),
        (3, 1, "newcomer", "registered"),
        (3, 4, "hotkey-4", "registered"),
        (5, 3, "hotkey-3", "deregistered"),
        (5, 4, "hotkey-4", "deregistered"),
    ]
    assert got[1].coldkey == "cold-newcomer"


async def test_commitments_are_compared_only_while_someone_subscribes(watched) -> None:
    chain, hub, _ = watched
    blocks = hub.subscribe(NewBlock)
    hub.publish(NewBlock(ref(1)))
    await anext(blocks)
    await asyncio.sleep(0.05)
    assert chain.commitment_reads == 0

    events = hub.subscribe(CommitmentChange)
    old = Commitment("hotkey-1", 1, b"old")
    chain.by_block[2] = (old, Commitment("hotkey-2", 2, b"gone"))
    chain.by_block[4] = (Commitment("hotkey-0", 4, b"\xff"), Commitment("hotkey-1", 4, b"new"))
    for number in range(2, 6):
        hub.publish(NewBlock(ref(number)))
    async with asyncio.timeout(5):
        got = [await anext(events) for _ in range(3)]
    assert [(e.ref.number, e.hotkey, e.commitment) for e in got] == [
        (4, "hotkey-0", Commitment("hotkey-0", 4, b"\xff")),
        (4, "hotkey-1", Commitment("hotkey-1", 4, b"new")),
        (4, "hotkey-2", None),
    ]
    await eventually(lambda: chain.commitment_reads == 4)  # blocks 2..5
    await asyncio.sleep(0.05)
    assert chain.commitment_reads == 4  # not block 1


async def test_a_block_without_the_subnet_is_skipped_and_a_failure_restarts(watched) -> None:
    chain, hub, watcher = watched
    events = hub.subscribe(NeuronRegistration)
    chain.missing.add(2)
    chain.unavailable.add(4)
    chain.neurons[3] = (*chain.neurons[0][:3], holder(3, "hotkey-9"))  # uid 3 changes hands
    chain.neurons[6] = (*chain.neurons[0][:3], holder(3, "hotkey-10"))  # and again
    for number in range(1, 8):
        hub.publish(NewBlock(ref(number)))
        await asyncio.sleep(0.1)  # past the watcher's backoff after block 4
    async with asyncio.timeout(5):
        got = [await anext(events) for _ in range(2)]
    # Block 2 had no subnet and block 4 failed: the comparisons start afresh after each, so
    # only the change at block 6 (against block 5) is seen; the one at block 3 is not invented.
    assert [(e.ref.number, e.uid, e.hotkey, e.change) for e in got] == [
        (6, 3, "hotkey-9", "deregistered"),
        (6, 3, "hotkey-10", "registered"),
    ]
    assert watcher.restarts == 1
    assert watcher.last_error == "ChainUnavailable: node down"
    assert watcher.state == "running"


async def test_after_a_reset_to_an_earlier_block_it_watches_the_nodes_chain(watched) -> None:
    _, hub, _ = watched
    events = hub.subscribe(NewEpoch)
    for number in range(20, 23):
        hub.publish(NewBlock(ref(number)))
    # The node came back from an earlier state: the follower announces its head, block 5 of
    # another chain, and goes on from there. Its epoch starts at 7, as any chain's does.
    other = BlockRef(5, "0x" + "ee" * 32)
    hub.publish(NewBlock(other, reset=True))
    for number in range(6, 9):
        hub.publish(NewBlock(ref(number)))

    event = await asyncio.wait_for(anext(events), 5)
    assert isinstance(event, NewEpoch) and (event.ref.number, event.epoch.start) == (7, 7)
