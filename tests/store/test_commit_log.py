"""The commit log shared by replicas, on SQLite and on PostgreSQL: who made each attempt, the
claim of an epoch (two committers never both commit one epoch), and interrupted attempts marked
per replica."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from pylon_gql.models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger
from pylon_gql.store import EpochClaimed, WeightStore, replica_id

NETUID = 1


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[WeightStore, WeightStore]]:
    """Two replicas' stores on one database."""
    first = WeightStore(database_url, replica="replica-a")
    second = WeightStore(database_url, replica="replica-b")
    await first.open()
    await second.open(apply_migrations=False, mark_interrupted=False)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


async def start(
    store: WeightStore,
    epoch: int = 100,
    trigger: CommitTrigger = CommitTrigger.AUTO,
    netuid: int = NETUID,
) -> CommitAttempt:
    return await store.start_commit(
        block=epoch + 5, epoch=epoch, weights_epoch=epoch, netuid=netuid, mode=CommitMode.SET,
        trigger=trigger, uid_count=2, digest="d",
    )  # fmt: skip


async def test_every_attempt_names_its_replica(stores: tuple[WeightStore, WeightStore]) -> None:
    first, second = stores
    a = await start(first, 100)
    b = await start(second, 200)
    assert (a.replica, b.replica) == ("replica-a", "replica-b")
    assert [(c.id, c.replica) for c in await first.commits()] == [
        (b.id, "replica-b"),
        (a.id, "replica-a"),
    ]


def test_a_replica_id_is_unique_per_process_unless_configured() -> None:
    generated = replica_id()
    assert generated == replica_id()  # one per process
    assert str(os.getpid()) in generated and len(generated) <= 64
    assert replica_id("validator-a") == "validator-a"


async def test_two_automatic_attempts_never_share_an_epoch(
    stores: tuple[WeightStore, WeightStore],
) -> None:
    first, second = stores
    held = await start(first)
    with pytest.raises(EpochClaimed) as refused:
        await start(second)
    assert refused.value.holder is not None
    assert (refused.value.holder.id, refused.value.holder.replica) == (held.id, "replica-a")
    assert "epoch 100" in str(refused.value) and "replica-a" in str(refused.value)
    # Nothing was recorded for the refused one; another epoch or subnet is free.
    assert [c.id for c in await second.commits()] == [held.id]
    await start(second, 200)
    await start(second, 100, netuid=2)


async def test_racing_replicas_claim_an_epoch_once(
    stores: tuple[WeightStore, WeightStore],
) -> None:
    first, second = stores
    for epoch in range(100, 1100, 100):
        results = await asyncio.gather(
            *(start(store, epoch) for store in (first, second, first, second)),
            return_exceptions=True,
        )
        won = [r for r in results if isinstance(r, CommitAttempt)]
        lost = [r for r in results if isinstance(r, EpochClaimed)]
        assert len(won) == 1 and len(lost) == 3, results
    assert len(await first.commits()) == 10


async def test_a_failed_attempt_gives_its_epoch_back_and_a_landed_one_keeps_it(
    stores: tuple[WeightStore, WeightStore],
) -> None:
    first, second = stores
    failed = await start(first)
    await first.update_commit(failed.id, CommitStatus.FAILED, error="ChainError: busy")
    retried = await start(second)  # the retry may come from either replica
    await second.update_commit(retried.id, CommitStatus.IN_BLOCK, block=106)
    with pytest.raises(EpochClaimed):
        await start(first)  # in flight: kept
    await second.update_commit(retried.id, CommitStatus.FINALIZED, block=106)
    with pytest.raises(EpochClaimed) as refused:
        await start(first)  # landed: kept for good
    assert refused.value.holder is not None and refused.value.holder.status == "finalized"


async def test_manual_attempts_claim_nothing(stores: tuple[WeightStore, WeightStore]) -> None:
    first, second = stores
    await start(first, trigger=CommitTrigger.MANUAL)
    await start(second, trigger=CommitTrigger.MANUAL)
    await start(first)  # the automatic one still claims the epoch
    assert await first.claim_holder(NETUID, 100) is not None


async def test_a_replica_marks_only_its_own_attempts_interrupted(
    stores: tuple[WeightStore, WeightStore],
) -> None:
    first, second = stores
    mine = await start(first, 100)
    theirs = await start(second, 200)
    assert {c.id for c in await first.unfinished_commits(NETUID)} == {mine.id, theirs.id}
    assert await second.mark_interrupted(replica="replica-b") == 1
    log = {c.id: c for c in await first.commits()}
    assert (log[theirs.id].status, log[theirs.id].outcome_unknown) == ("failed", True)
    assert "interrupted" in (log[theirs.id].error or "")
    assert (log[mine.id].status, log[mine.id].outcome_unknown) == ("pending", False)
    # Interrupted, it may have landed: its epoch stays claimed.
    with pytest.raises(EpochClaimed):
        await start(first, 200)
    assert await first.mark_interrupted(replica="replica-b") == 0


async def test_a_lone_server_marks_every_unfinished_attempt_at_open(database_url: str) -> None:
    old = WeightStore(database_url, replica="stopped")
    await old.open()
    try:
        left = await start(old)
    finally:
        await old.close()
    store = WeightStore(database_url)  # a new process: a new replica id
    await store.open()
    try:
        (attempt,) = await store.commits()
        assert (attempt.id, attempt.status, attempt.outcome_unknown) == (left.id, "failed", True)
    finally:
        await store.close()
