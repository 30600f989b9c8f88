"""Committer: puts the validator's weights on chain, once per N epochs, inside the commit window.

Driven by the follower's `NewBlock` events, not a timer. At each new head it asks: is the head
inside this epoch's commit window, and have at least `commit_every_epochs` epochs passed since
the last commit that landed (finalized, or interrupted with its outcome unknown)? Both come from
the chain (the epoch, from the tempo at the head) and the commit log in the database, so a
restart neither forgets a commit nor makes a second one in the same epoch. The epoch is the one
the weights are keyed by (`WeightStore.epoch`: a tempo raise does not move it back past weights
already written). When due, it maps the newest stored weights to uids with the metagraph at the
head (0 for registered neurons without one), commits them with commit-reveal when the subnet has
it on and sets them in the clear when off, and records and publishes every status change of
the attempt. A failed attempt is retried with a doubling backoff while the window is open.
`PYLON_AUTO_COMMIT=false` leaves commits to the `commitWeights` mutation (`commit_now`).

Several replicas on one database: only the leader of the lease per (netuid, hotkey)
(`pylon_gql.leadership`) runs the loop (`Services` starts it when the lease is won and steps it
down when lost) and starts attempts; a follower refuses `commitWeights` with `not_leader`,
naming the replica that leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from . import metrics
from .chain.errors import ChainError, NoEpochs
from .commit_plan import ChainView, CommitRefused, WeightWriter, plan_commit
from .events import EventBus
from .handover import LeaderView, follower_refusal, mark_abandoned
from .keys import Signer
from .models import (
    BlockRef,
    CommitAttempt,
    CommitMode,
    CommitStatus,
    CommitTrigger,
    Epoch,
    Hyperparameters,
    weights_digest,
)
from .settings import Settings
from .store import EpochClaimed, WeightStore
from .supervise import BlockListener

logger = logging.getLogger(__name__)

CommitterState = Literal[
    "disabled",
    "stopped",
    "waiting",
    "committing",
    "backing_off",
    "no_weights",
    "no_hotkey",
    "rate_limited",
    "not_registered",
    "no_epochs",
    "follower",
]


class Committer:
    def __init__(
        self,
        settings: Settings,
        reader: ChainView,
        writer: WeightWriter,
        store: WeightStore,
        hub: EventBus,
        hotkey: Signer | None,
        *,
        hotkey_missing: str | None = None,
        block_time: float = 12.0,
        leadership: LeaderView | None = None,
    ) -> None:
        """`leadership`: the lease this replica must hold to commit (None: it commits alone)."""
        self.settings = settings
        self.netuid = settings.netuid
        self.reader = reader
        self.writer = writer
        self.store = store
        self.hub = hub
        self.hotkey = hotkey
        self.hotkey_missing = hotkey_missing or "no validator hotkey: set PYLON_WALLET_NAME"
        self.block_time = block_time
        self.leadership = leadership
        self.auto = settings.auto_commit
        self.state: CommitterState = "stopped" if self.auto else "disabled"
        #: Why the last attempt failed (or the loop, which the supervisor also counts).
        self.last_error: str | None = None
        self.last_commit: CommitAttempt | None = None
        #: The last head the auto path decided at.
        self.seen: BlockRef | None = None
        self._listener = BlockListener(
            "weight-committer",
            hub,
            self.on_block,
            doing="the committer",
            min_backoff=settings.commit_retry_min_backoff,
            max_backoff=settings.commit_retry_max_backoff,
            expected=(ChainError,),
            on_failure=self._loop_failed,
        )
        self._attempt: asyncio.Task[CommitAttempt] | None = None
        self._backoff = settings.commit_retry_min_backoff
        self._retry_at = 0.0
        #: The (epoch, mechanism) whose failed attempt is retried after the backoff.
        self._retry_epoch: tuple[int, int] | None = None
        self._no_weights_epoch: int | None = None
        #: The (epoch, mechanism)s another replica's attempt holds the claim of: not tried
        #: again in that epoch.
        self._claimed: set[tuple[int, int]] = set()
        #: The written mechanisms the subnet does not have (warned of once).
        self._beyond: list[int] = []
        # One decision at a time: the auto path and `commitWeights` never start two attempts.
        self._starting = asyncio.Lock()

    # --- lifecycle

    @property
    def restarts(self) -> int:
        return self._listener.supervisor.restarts

    async def start(self) -> None:
        if not self.auto or self._listener.running:
            return
        self.state = "waiting"
        self._listener.start()

    async def take_lead(self, running: Callable[[str], Awaitable[bool]]) -> None:
        """This replica leads now: mark the attempts nobody will finish (`mark_abandoned`),
        then decide commits. `running(replica)`: whether that replica runs now."""
        await mark_abandoned(self.store, self.netuid, running)
        await self.start()

    async def step_down(self) -> None:
        """Another replica leads now: stop deciding commits. An attempt in flight goes on to
        its outcome (its extrinsic may be in the pool already), and its row gets it."""
        await self._listener.stop()
        self.state = "follower"

    async def stop(self) -> None:
        await self._listener.stop()
        attempt, self._attempt = self._attempt, None
        if attempt is not None and not attempt.done():
            attempt.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await attempt
        self.state = "stopped" if self.auto else "disabled"

    @property
    def committing(self) -> bool:
        return self._attempt is not None and not self._attempt.done()

    @property
    def leads(self) -> bool:
        """Whether this replica commits: it has a hotkey and holds the lease (or needs none)."""
        return self.hotkey is not None and (self.leadership is None or self.leadership.leader)

    def status(self) -> dict[str, Any]:
        last = self.last_commit
        leadership = self.leadership
        follows = leadership is not None and not leadership.leader and not self.committing
        return {
            "state": "follower" if follows and self.hotkey is not None else self.state,
            "leader": self.leads,
            "replica": self.store.replica,
            "leaderReplica": None if leadership is None else leadership.leader_replica,
            "autoCommit": self.auto,
            "everyEpochs": self.settings.commit_every_epochs,
            "hotkey": None if self.hotkey is None else self.hotkey.ss58_address,
            "restarts": self.restarts,
            "lastError": self.last_error,
            "lastCommit": None
            if last is None
            else {"id": last.id, "status": last.status, "block": last.block, "epoch": last.epoch},
        }

    # --- the loop

    def _loop_failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"

    async def on_block(self, head: BlockRef) -> None:
        """Decide at a new head whether to start an attempt (the auto path)."""
        try:
            await self._decide(head)
        finally:
            self.seen = head

    async def _decide(self, head: BlockRef) -> None:
        if self.committing:
            return
        if self.hotkey is None:
            self.state = "no_hotkey"
            return
        try:
            epoch = await self._epoch(head)
        except NoEpochs:
            self.state = "no_epochs"  # tempo 0: no window to commit in; a state, not a failure
            return
        # Mechanism 0 first, then each other mechanism the validator wrote weights for: one
        # attempt at a time, each mechanism's in the epoch once (the next block starts the next).
        for mechanism in await self._mechanisms(head):
            if await self._decide_mechanism(head, epoch, mechanism):
                return

    async def _decide_mechanism(self, head: BlockRef, epoch: Epoch, mechanism: int) -> bool:
        """Decide for one mechanism's weights; True when the decision is made for this block
        (an attempt started, or a refusal that holds back every mechanism)."""
        if (epoch.start, mechanism) in self._claimed:
            if mechanism == 0:
                self.state = "waiting"  # another attempt holds this epoch: the next is ours
            return False
        if not await self._due(epoch, mechanism):
            if mechanism == 0 and (
                self.state not in ("no_weights",) or self._no_weights_epoch != epoch.start
            ):
                self.state = "waiting"
            return False
        if self._retry_epoch == (epoch.start, mechanism) and time.monotonic() < self._retry_at:
            self.state = "backing_off"
            return True
        try:
            await self._begin(head, epoch, trigger=CommitTrigger.AUTO, mechanism=mechanism)
        except CommitRefused as refused:
            if refused.reason == "no_weights" and mechanism != 0:
                return False  # nothing of this mechanism to commit
            if refused.reason == "no_weights":
                if self._no_weights_epoch != epoch.start:
                    logger.warning("commit window open at block %d: %s", head.number, refused)
                self._no_weights_epoch = epoch.start
                self.state = "no_weights"
            elif refused.reason in ("rate_limited", "not_registered"):
                if self.state != refused.reason:
                    logger.warning("commit window open at block %d: %s", head.number, refused)
                self.state = refused.reason  # type: ignore[assignment]
            elif refused.reason == "claimed":
                self._claimed.add((epoch.start, mechanism))
                self.state = "waiting"
            return refused.reason in ("rate_limited", "not_registered")
        return True

    async def _mechanisms(self, head: BlockRef) -> list[int]:
        """0, then the other mechanisms the validator ever wrote weights for that the subnet
        has at `head` (the chain refuses weights of a mechanism it does not have)."""
        written = [m for m in await self.store.mechanisms_written() if m != 0]
        if not written:
            return [0]  # no chain read: the subnet's own weights only
        count = (await self.reader.mechanisms(head)).count
        beyond = [m for m in written if m >= count]
        if beyond and self._beyond != beyond:
            logger.warning(
                "weights of mechanism(s) %s are not committed: subnet %d has %d mechanism(s) "
                "at block %d",
                ", ".join(map(str, beyond)),
                self.netuid,
                count,
                head.number,
            )
        self._beyond = beyond
        return [0, *(m for m in written if m < count)]

    async def _epoch(self, head: BlockRef) -> Epoch:
        """The head's epoch as the weights are keyed: it stays the one they were written in
        when a tempo raise moved the computed start back (`WeightStore.epoch`)."""
        return await self.store.epoch(await self.reader.epoch(head))

    async def _due(self, epoch: Epoch, mechanism: int = 0) -> bool:
        if not epoch.in_commit_window:
            return False
        last = await self.store.last_landed_commit(self.netuid, mechanism)
        if last is None:
            return True
        if last.epoch >= epoch.start:
            return False  # landed in this epoch already
        passed = max(1, (epoch.start - last.epoch) // (epoch.tempo + 1))
        return passed >= self.settings.commit_every_epochs

    # --- an attempt

    async def commit_now(self, mechanism: int = 0) -> CommitAttempt:
        """Start an attempt now, inside the window or not, for `mechanism`'s weights; returns
        it pending (the manual path)."""
        if self.hotkey is None:
            raise CommitRefused(self.hotkey_missing, "no_hotkey")
        self._refuse_unless_leader()
        if self.committing:
            raise CommitRefused("a commit is in flight: wait for its outcome", "in_flight")
        head = self.reader.head
        if head is None:
            raise CommitRefused("the server has not seen a finalized head yet", "no_head")
        epoch = await self._epoch(head)
        return await self._begin(head, epoch, trigger=CommitTrigger.MANUAL, mechanism=mechanism)

    def _refuse_unless_leader(self) -> None:
        leadership = self.leadership
        if leadership is None or leadership.leader:
            return
        assert self.hotkey is not None
        message = follower_refusal(
            self.store.replica, leadership, self.hotkey.ss58_address, self.netuid
        )
        raise CommitRefused(message, "not_leader", leader_replica=leadership.leader_replica)

    async def wait(self) -> CommitAttempt | None:
        """The outcome of the attempt in flight (None when there is none)."""
        attempt = self._attempt
        if attempt is None:
            return None
        return await asyncio.shield(attempt)

    async def _begin(
        self, head: BlockRef, epoch: Epoch, *, trigger: CommitTrigger, mechanism: int = 0
    ) -> CommitAttempt:
        async with self._starting:
            self._refuse_unless_leader()  # the lease may have been lost since the decision
            if self.committing:
                raise CommitRefused("a commit is in flight: wait for its outcome", "in_flight")
            if trigger is CommitTrigger.AUTO and not await self._due(epoch, mechanism):
                raise CommitRefused("not due any more", "not_due")
            return await self._start(head, epoch, trigger=trigger, mechanism=mechanism)

    async def _start(
        self, head: BlockRef, epoch: Epoch, *, trigger: CommitTrigger, mechanism: int = 0
    ) -> CommitAttempt:
        assert self.hotkey is not None
        of = "" if mechanism == 0 else f" of mechanism {mechanism}"
        plan = await plan_commit(
            self.store, self.reader, self.hotkey.ss58_address, self.netuid, head, epoch, mechanism
        )
        weights, weights_epoch, mode = plan.weights, plan.weights_epoch, plan.mode
        try:
            # An automatic attempt claims its epoch in the same transaction: the safety net
            # under the lease (two replicas that both believe they lead commit it once).
            record = await self.store.start_commit(
                block=head.number,
                epoch=epoch.start,
                weights_epoch=weights_epoch,
                netuid=self.netuid,
                mode=mode,
                trigger=trigger,
                uid_count=len(weights),
                digest=weights_digest(weights),
                at=(epoch, head),
                mechanism=mechanism,
            )
        except EpochClaimed as claimed:
            if claimed.holder is None:
                raise CommitRefused(str(claimed), "claim_released") from None  # retry
            logger.info("not committing at block %d: %s", head.number, claimed)
            raise CommitRefused(str(claimed), "claimed") from None
        self._publish(record)
        logger.info(
            "committing weights%s (%s, %s): attempt %d at block %d, %d uids, weights of epoch %d",
            of,
            mode,
            trigger,
            record.id,
            head.number,
            len(weights),
            weights_epoch,
        )
        self.state = "committing"
        self._attempt = asyncio.create_task(
            self._run(record, head, epoch, weights, plan.hyperparameters), name="weight-commit"
        )
        return record

    async def _run(
        self,
        record: CommitAttempt,
        head: BlockRef,
        epoch: Epoch,
        weights: dict[int, float],
        hyperparameters: Hyperparameters,
    ) -> CommitAttempt:
        assert self.hotkey is not None
        wallet = self.hotkey.wallet

        async def in_block(ref: BlockRef) -> None:
            self._publish(
                await self.store.update_commit(record.id, CommitStatus.IN_BLOCK, block=ref)
            )

        try:
            if record.mode is CommitMode.COMMIT_REVEAL:
                receipt = await self.writer.commit_weights(
                    self.netuid,
                    weights,
                    wallet,
                    at=head,
                    version_key=hyperparameters.weights_version,
                    block_time=self.block_time,
                    on_in_block=in_block,
                    mechanism=record.mechanism,
                )
            else:
                receipt = await self.writer.set_weights(
                    self.netuid,
                    weights,
                    wallet,
                    version_key=hyperparameters.weights_version,
                    on_in_block=in_block,
                    mechanism=record.mechanism,
                )
        except asyncio.CancelledError:
            # Stopped mid-flight: the outcome is unknown (the store marks it at the next start).
            raise
        except Exception as exc:
            if isinstance(exc, ChainError):
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("weight commit %d failed: %s", record.id, error)
            else:
                error = "internal error (see the server log)"
                logger.exception("weight commit %d failed", record.id)
            done = await self.store.update_commit(record.id, CommitStatus.FAILED, error=error)
            self.last_error = error
            self._schedule_retry(epoch, record.mechanism)
        else:
            done = await self.store.update_commit(
                record.id,
                CommitStatus.FINALIZED,
                block=receipt.block,
                reveal_round=receipt.reveal_round,
            )
            logger.info("weight commit %d finalized at block %d", record.id, receipt.block.number)
            self._backoff = self.settings.commit_retry_min_backoff
            self._retry_epoch = None
            self.state = "waiting" if self.auto else "disabled"
        self.last_commit = done
        metrics.WEIGHT_COMMITS.labels(done.mode, done.trigger, done.status).inc()
        self._publish(done)
        return done

    def _schedule_retry(self, epoch: Epoch, mechanism: int = 0) -> None:
        if self._retry_epoch != (epoch.start, mechanism):
            self._backoff = self.settings.commit_retry_min_backoff
        self._retry_epoch = (epoch.start, mechanism)
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self.settings.commit_retry_max_backoff, self._backoff * 2)
        self.state = "backing_off" if self.auto else "disabled"

    def _publish(self, attempt: CommitAttempt) -> None:
        self.last_commit = attempt
        self.hub.publish(attempt)
