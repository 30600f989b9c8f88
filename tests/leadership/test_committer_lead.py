"""The committer among replicas (scripted chain, real stores on one database): the epoch's
claim stops a second leader, taking the lead marks the attempts nobody will finish, and a
follower refuses `commitWeights` naming the leader."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from pylon_gql.committer import CommitRefused, Committer
from pylon_gql.events import EventHub
from pylon_gql.models import BlockRef, CommitMode, CommitTrigger, ExtrinsicReceipt
from pylon_gql.store import WeightStore
from tests.chain.fakes import ref
from tests.test_committer import HOTKEY, FakeReader, FakeWriter, run_blocks, settings


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[list[WeightStore]]:
    """Two replicas' stores on one database."""
    opened = [WeightStore(database_url, replica=name) for name in ("replica-a", "replica-b")]
    for store in opened:
        await store.open(mark_interrupted=False)
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


class HeldWriter(FakeWriter):
    """Its extrinsic waits for the node until `landed` is set: an attempt in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.landed = asyncio.Event()

    async def _write(
        self,
        mode: str,
        netuid: int,
        weights: dict[int, float],
        on_in_block: Callable[[BlockRef], Awaitable[None]] | None,
        reveal_round: int | None,
    ) -> ExtrinsicReceipt:
        await self.landed.wait()
        return await super()._write(mode, netuid, weights, on_in_block, reveal_round)


def committer(
    store: WeightStore, reader: FakeReader, writer: FakeWriter, **kw: object
) -> Committer:
    return Committer(settings(), reader, writer, store, EventHub(), HOTKEY, **kw)  # type: ignore[arg-type]


async def test_two_leaders_at_once_commit_an_epoch_once(
    stores: list[WeightStore], caplog: pytest.LogCaptureFixture
) -> None:
    """Two replicas that both believe they lead (a leader whose connection dropped has not
    noticed yet): the epoch's claim lets one commit; the other says so at INFO, once, and does
    not try again in that epoch."""
    a_store, b_store = stores
    await a_store.set_weight(7, "hotkey-1", 2.0)
    reader = FakeReader()
    writers = HeldWriter(), FakeWriter()
    a, b = committer(a_store, reader, writers[0]), committer(b_store, reader, writers[1])
    with caplog.at_level(logging.INFO, "pylon_gql.committer"):
        for number in range(7, 17):  # epoch 7, its window 10-14
            reader.head = ref(number)
            await a.on_block(ref(number))  # a's attempt starts, in flight from block 10 ...
            await b.on_block(ref(number))  # ... while b finds the epoch claimed
            await b.wait()
        writers[0].landed.set()
        await a.wait()
    assert len(writers[0].calls) == 1 and writers[1].calls == []
    (attempt,) = await a_store.commits()
    assert (attempt.epoch, attempt.replica, attempt.status) == (7, "replica-a", "finalized")
    claimed = [r for r in caplog.records if "already claimed" in r.getMessage()]
    assert len(claimed) == 1 and claimed[0].levelno == logging.INFO
    assert "replica-a" in claimed[0].getMessage()
    assert b.state == "waiting"
    await run_blocks(b, reader, 17, 26)  # the next epoch: b's (a does not run now)
    assert len(writers[1].calls) == 1


@dataclass
class Lead:
    leader: bool
    leader_replica: str | None
    retry_interval: float = 3.0


async def test_a_follower_refuses_commit_weights_naming_the_leader(
    stores: list[WeightStore],
) -> None:
    a_store, _ = stores
    await a_store.set_weight(7, "hotkey-1", 2.0)
    reader, writer = FakeReader(), FakeWriter()
    reader.head = ref(8)
    lead = Lead(leader=False, leader_replica="replica-b")
    follower = committer(a_store, reader, writer, leadership=lead)
    with pytest.raises(CommitRefused) as refused:
        await follower.commit_now()
    assert refused.value.reason == "not_leader"
    assert refused.value.leader_replica == "replica-b"
    assert "replica-a" in str(refused.value) and "send commitWeights there" in str(refused.value)
    status = follower.status()
    assert (status["state"], status["leader"], status["replica"]) == (
        "follower",
        False,
        "replica-a",
    )
    assert status["leaderReplica"] == "replica-b"

    lead.leader, lead.leader_replica = True, "replica-a"
    started = await follower.commit_now()
    assert started.trigger == "manual" and started.replica == "replica-a"
    await follower.wait()
    assert writer.calls and follower.status()["leader"] is True


async def test_the_new_leader_marks_the_attempts_no_running_replica_will_finish(
    stores: list[WeightStore],
) -> None:
    a_store, b_store = stores
    gone = WeightStore(a_store.url, replica="replica-gone")
    await gone.open(mark_interrupted=False)

    async def pending(store: WeightStore, epoch: int) -> int:
        attempt = await store.start_commit(
            block=epoch + 3,
            epoch=epoch,
            weights_epoch=epoch,
            netuid=1,
            mode=CommitMode.SET,
            trigger=CommitTrigger.MANUAL,
            uid_count=4,
            digest="d",
        )
        return attempt.id

    try:
        own = await pending(a_store, 7)  # a's own, from before (it restarted under its name)
        dead = await pending(gone, 17)  # a replica that died with its attempt in flight
        live = await pending(b_store, 27)  # b still runs: it finishes its own
    finally:
        await gone.close()

    async def running(replica: str) -> bool:
        return replica == "replica-b"

    reader, writer = FakeReader(), FakeWriter()
    leader = committer(a_store, reader, writer)
    await leader.take_lead(running)
    try:
        by_id = {attempt.id: attempt for attempt in await a_store.commits()}
        assert by_id[own].status == by_id[dead].status == "failed"
        assert by_id[own].outcome_unknown and by_id[dead].outcome_unknown
        assert by_id[live].status == "pending" and not by_id[live].outcome_unknown
        assert leader.state == "waiting"  # and it decides commits from now on
    finally:
        await leader.stop()
