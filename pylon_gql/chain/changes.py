"""ChangeWatcher: the changes between consecutive blocks that subscribers follow.

It reads the follower's `NewBlock` events from the hub and publishes, once for everyone: a
`NewEpoch` at the first block of a new epoch, a `NeuronRegistration` for each uid a hotkey took
or left (found by comparing consecutive metagraphs, which the follower has already cached),
and a `CommitmentChange` for each hotkey whose commitment differs (the commitment map is read
only while someone subscribes to it). Supervised like the follower: after a failure it logs,
backs off and starts again from the next block, comparing from there.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal, Protocol

from ..events import (
    CommitmentChange,
    EventBus,
    NeuronRegistration,
    NewEpoch,
)
from ..models import BlockRef, Commitment, Epoch, Metagraph
from ..supervise import BlockListener
from .errors import ChainError, ChainUnavailable

logger = logging.getLogger(__name__)

WatcherState = Literal["running", "restarting", "stopped"]


class BlockData(Protocol):
    """What the watcher reads (`pylon_gql.chain.reader.ChainReader`)."""

    async def epoch(self, ref: BlockRef) -> Epoch: ...
    async def metagraph(self, ref: BlockRef) -> Metagraph: ...
    async def commitments(self, ref: BlockRef) -> tuple[Commitment, ...]: ...


def registrations(before: Metagraph, after: Metagraph) -> list[NeuronRegistration]:
    """Each uid whose hotkey differs between two metagraphs: who left it, then who took it."""
    old = {n.uid: n for n in before.neurons}
    new = {n.uid: n for n in after.neurons}
    changes = []
    for uid in sorted(old.keys() | new.keys()):
        left, took = old.get(uid), new.get(uid)
        if left is not None and (took is None or took.hotkey != left.hotkey):
            changes.append(
                NeuronRegistration(after.block, uid, left.hotkey, left.coldkey, "deregistered")
            )
        if took is not None and (left is None or left.hotkey != took.hotkey):
            changes.append(
                NeuronRegistration(after.block, uid, took.hotkey, took.coldkey, "registered")
            )
    return changes


def commitment_changes(
    ref: BlockRef, before: tuple[Commitment, ...], after: tuple[Commitment, ...]
) -> list[CommitmentChange]:
    """Each hotkey whose commitment was set, changed or removed, in hotkey order."""
    old = {c.hotkey: c for c in before}
    new = {c.hotkey: c for c in after}
    return [
        CommitmentChange(ref, hotkey, new.get(hotkey))
        for hotkey in sorted(old.keys() | new.keys())
        if old.get(hotkey) != new.get(hotkey)
    ]


class ChangeWatcher:
    def __init__(
        self,
        reader: BlockData,
        hub: EventBus,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.reader = reader
        self.hub = hub
        self.state: WatcherState = "stopped"
        self._block: BlockRef | None = None
        self._epoch: Epoch | None = None
        self._metagraph: Metagraph | None = None
        self._commitments: tuple[Commitment, ...] | None = None
        self._listener = BlockListener(
            "change-watcher",
            hub,
            self.observe,
            doing="watching changes",
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            expected=(ChainError,),
            on_failure=self._restarting,
            on_reset=lambda _: self._forget(),  # nothing on the node's chain to compare with
        )

    @property
    def restarts(self) -> int:
        return self._listener.supervisor.restarts

    @property
    def last_error(self) -> str | None:
        return self._listener.supervisor.last_error

    def status(self) -> dict[str, object]:
        """The watcher's part of /health."""
        return self._listener.supervisor.status(self.state)

    async def start(self) -> None:
        self.state = "running"
        self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()
        self.state = "stopped"

    def _restarting(self, exc: Exception) -> None:
        self.state = "restarting"
        self._forget()  # compare afresh from the next block

    def _forget(self) -> None:
        self._block = self._epoch = self._metagraph = self._commitments = None

    async def observe(self, ref: BlockRef) -> None:
        """Compare `ref` with the block observed before it and publish what changed."""
        self.state = "running"
        if self._block is not None and ref.number <= self._block.number:
            return  # seen
        try:
            epoch, metagraph = await asyncio.gather(
                self.reader.epoch(ref), self.reader.metagraph(ref)
            )
        except ChainUnavailable:
            raise
        except ChainError as exc:
            # The served subnet may not exist at this block: nothing to compare.
            logger.debug("no subnet data at block %d: %s", ref.number, exc)
            self._forget()
            self._block = ref
            return
        if self._epoch is not None and epoch.index != self._epoch.index:
            self.hub.publish(NewEpoch(ref, epoch))
        if self._metagraph is not None:
            for change in registrations(self._metagraph, metagraph):
                self.hub.publish(change)
        await self._observe_commitments(ref)
        self._block, self._epoch, self._metagraph = ref, epoch, metagraph

    async def _observe_commitments(self, ref: BlockRef) -> None:
        if not self.hub.subscribers(CommitmentChange):
            self._commitments = None  # nobody asks: no chain call, and compare afresh later
            return
        commitments = await self.reader.commitments(ref)
        if self._commitments is not None:
            for change in commitment_changes(ref, self._commitments, commitments):
                self.hub.publish(change)
        self._commitments = commitments
