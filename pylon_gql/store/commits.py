"""The commit log: every attempt to put the weights on chain, and the claim of an epoch.

Replicas share the log. Each attempt records the replica that made it (`replica`), so that a
replica marks as interrupted only its own attempts. An automatic attempt claims its epoch in the
transaction that records it (`commit_claim`, unique per netuid, epoch and mechanism): a second
committer (another replica that also believes it leads) gets `EpochClaimed` instead of a second
commit in the epoch. A failed attempt gives its claim back in the transaction that marks it
failed (the committer retries in the window); a finalized, in-flight or interrupted one keeps it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ..models import (
    UNFINISHED_COMMIT,
    BlockRef,
    CommitAttempt,
    CommitMode,
    CommitStatus,
    CommitTrigger,
    Epoch,
)
from .models import CommitClaim, WeightCommit

#: An epoch and the block (the head) a write to it was made at.
EpochAt = tuple[Epoch, BlockRef]

INTERRUPTED = (
    "interrupted: the server stopped before the outcome was known; it may have landed, so it "
    "is not retried in its epoch"
)


class EpochClaimed(Exception):
    """An automatic attempt that cannot start: another attempt holds its epoch's claim."""

    def __init__(
        self, netuid: int, epoch: int, holder: CommitAttempt | None, mechanism: int = 0
    ) -> None:
        self.netuid = netuid
        self.epoch = epoch
        self.mechanism = mechanism
        #: The attempt that holds the claim (None: it was given back meanwhile; try again).
        self.holder = holder
        who = (
            "another attempt"
            if holder is None
            else f"attempt {holder.id} ({holder.status}) of replica {holder.replica or 'unknown'}"
        )
        of = f"subnet {netuid}" if mechanism == 0 else f"subnet {netuid}'s mechanism {mechanism}"
        super().__init__(
            f"epoch {epoch} of {of} is already claimed by {who}: one commit per "
            "epoch, so this replica does not commit in it"
        )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def attempt(row: WeightCommit) -> CommitAttempt:
    return CommitAttempt(
        id=row.id,
        block=row.block,
        epoch=row.epoch,
        weights_epoch=row.weights_epoch,
        netuid=row.netuid,
        mode=CommitMode(row.mode),
        trigger=CommitTrigger(row.trigger),
        uid_count=row.uid_count,
        digest=row.digest,
        reveal_round=row.reveal_round,
        status=CommitStatus(row.status),
        error=row.error,
        outcome_unknown=row.outcome_unknown,
        created_at=row.created_at,
        updated_at=row.updated_at,
        block_hash=row.block_hash,
        replica=row.replica,
        mechanism=row.mechanism,
    )


class CommitLog:
    """The commit-log half of `WeightStore` (which provides `_active` and `_record_epoch`)."""

    #: This server process's id, recorded on every attempt it makes.
    replica: str
    #: On PostgreSQL, each change of an attempt is also sent with `pg_notify` in the
    #: transaction that records it (`notify_commits`): the channel and the payload of one.
    _notices: tuple[str, Callable[[CommitAttempt], str]] | None = None

    def notify_commits(self, channel: str, payload: Callable[[CommitAttempt], str]) -> None:
        """Send every new attempt and status change on `channel` (PostgreSQL only): listeners
        hear of it when, and only if, it is committed (the other replicas' event hubs)."""
        self._notices = (channel, payload)

    async def _notify(self, connection: Any, row: WeightCommit) -> CommitAttempt:
        """`row` as an attempt, sent on the notices' channel inside the caller's transaction."""
        done = attempt(row)
        if self._notices is not None and connection.capabilities.dialect == "postgres":
            channel, payload = self._notices
            await connection.execute_query("SELECT pg_notify($1, $2)", [channel, payload(done)])
        return done

    def _active(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    async def _record_epoch(
        self, at: EpochAt | None, *, written: bool = True, mechanism: int = 0
    ) -> None:
        raise NotImplementedError

    async def start_commit(
        self,
        *,
        block: int,
        epoch: int,
        weights_epoch: int,
        netuid: int,
        mode: CommitMode,
        trigger: CommitTrigger,
        uid_count: int,
        digest: str,
        at: EpochAt | None = None,
        claim: bool | None = None,
        mechanism: int = 0,
    ) -> CommitAttempt:
        """Record a new attempt, pending, made by this replica.

        `at`: the epoch the attempt is made in and the head (whose hash is kept with `block`).
        `mechanism`: the subnet's mechanism whose weights are committed (each has its claim).
        `claim`: claim `epoch` in the same transaction (default: automatic attempts do); raises
        `EpochClaimed` when another attempt holds it, and then records nothing.
        """
        claim = trigger is CommitTrigger.AUTO if claim is None else claim
        now = _now()
        try:
            with self._active():
                async with in_transaction() as connection:
                    await self._record_epoch(at, written=False)
                    row = await WeightCommit.create(
                        block=block,
                        block_hash=None if at is None else at[1].hash,
                        epoch=epoch,
                        weights_epoch=weights_epoch,
                        netuid=netuid,
                        mode=mode,
                        trigger=trigger,
                        uid_count=uid_count,
                        digest=digest,
                        status=CommitStatus.PENDING,
                        created_at=now,
                        updated_at=now,
                        replica=self.replica,
                        mechanism=mechanism,
                    )
                    if claim:
                        await CommitClaim.create(
                            netuid=netuid,
                            epoch=epoch,
                            mechanism=mechanism,
                            attempt=row,
                            created_at=now,
                        )
                    started = await self._notify(connection, row)
        except IntegrityError:
            if not claim:
                raise
            # The transaction is rolled back (Postgres refuses any statement in it after the
            # conflict): the holder is read after it.
            holder = await self.claim_holder(netuid, epoch, mechanism)
            raise EpochClaimed(netuid, epoch, holder, mechanism) from None
        return started

    async def claim_holder(
        self, netuid: int, epoch: int, mechanism: int = 0
    ) -> CommitAttempt | None:
        """The attempt that holds the claim of `epoch` for `mechanism` (None: nobody does)."""
        with self._active():
            claim = await CommitClaim.get_or_none(netuid=netuid, epoch=epoch, mechanism=mechanism)
            if claim is None:
                return None
            row = await WeightCommit.get_or_none(id=claim.attempt_id)  # type: ignore[attr-defined]
        return None if row is None else attempt(row)

    async def update_commit(
        self,
        commit_id: int,
        status: CommitStatus,
        *,
        block: int | BlockRef | None = None,
        reveal_round: int | None = None,
        error: str | None = None,
    ) -> CommitAttempt:
        """`block`: the block it is in (a number alone leaves the hash unknown). A failed
        attempt gives its epoch's claim back in the same transaction (it may be retried)."""
        changes: dict[str, Any] = {"status": status, "updated_at": _now()}
        if isinstance(block, BlockRef):
            changes["block"], changes["block_hash"] = block.number, block.hash
        elif block is not None:
            changes["block"], changes["block_hash"] = block, None
        if reveal_round is not None:
            changes["reveal_round"] = reveal_round
        if error is not None:
            changes["error"] = error
        with self._active():
            async with in_transaction() as connection:
                await WeightCommit.filter(id=commit_id).update(**changes)
                if status is CommitStatus.FAILED:
                    await CommitClaim.filter(attempt_id=commit_id).delete()
                row = await WeightCommit.get(id=commit_id)
                return await self._notify(connection, row)

    async def commits(self, last: int | None = None) -> list[CommitAttempt]:
        """The latest `last` attempts (all when None), newest first."""
        with self._active():
            query = WeightCommit.all().order_by("-id")
            if last is not None:
                query = query.limit(last)
            rows = await query
        return [attempt(row) for row in rows]

    async def commits_from(self, first_id: int, limit: int) -> list[CommitAttempt]:
        """At most `limit` attempts whose id is `first_id` or more, oldest first, each as it is
        now (`weightCommit(fromId:)` replays the log with it)."""
        with self._active():
            rows = await WeightCommit.filter(id__gte=first_id).order_by("id").limit(limit)
        return [attempt(row) for row in rows]

    async def last_landed_commit(self, netuid: int, mechanism: int = 0) -> CommitAttempt | None:
        """The latest attempt (of `mechanism`'s weights) that is finalized, or that may have
        landed (outcome unknown)."""
        with self._active():
            row = (
                await WeightCommit.filter(netuid=netuid, mechanism=mechanism)
                .filter(status=CommitStatus.FINALIZED)
                .order_by("-epoch", "-id")
                .first()
            )
            unknown = (
                await WeightCommit.filter(netuid=netuid, mechanism=mechanism, outcome_unknown=True)
                .order_by("-epoch", "-id")
                .first()
            )
        candidates = [r for r in (row, unknown) if r is not None]
        if not candidates:
            return None
        return attempt(max(candidates, key=lambda r: (r.epoch, r.id)))

    async def unfinished_commits(self, netuid: int | None = None) -> list[CommitAttempt]:
        """Attempts pending or in a block (of every replica), oldest first."""
        with self._active():
            query = WeightCommit.filter(status__in=UNFINISHED_COMMIT)
            if netuid is not None:
                query = query.filter(netuid=netuid)
            rows = await query.order_by("id")
        return [attempt(row) for row in rows]

    async def mark_interrupted(self, *, replica: str | None, netuid: int | None = None) -> int:
        """The attempts `replica` left pending or in a block (it stopped, or lost the lead):
        failed, outcome unknown; they keep their epoch's claim (they may have landed).
        `replica` None: the attempts recorded before the store kept replicas. Returns how many.
        """
        with self._active():
            query = WeightCommit.filter(status__in=UNFINISHED_COMMIT, replica=replica)
            if netuid is not None:
                query = query.filter(netuid=netuid)
            return await query.update(
                status=CommitStatus.FAILED,
                outcome_unknown=True,
                error=INTERRUPTED,
                updated_at=_now(),
            )

    async def mark_all_interrupted(self, netuid: int | None = None) -> int:
        """Every replica's unfinished attempts (`mark_interrupted` for each): for a server that
        is alone on its database, where any unfinished attempt was left by a stopped one."""
        replicas = {commit.replica for commit in await self.unfinished_commits(netuid)}
        counts = [await self.mark_interrupted(replica=r, netuid=netuid) for r in replicas]
        return sum(counts)
