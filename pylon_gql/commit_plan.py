"""What a weight commit would put on chain, decided before it starts: the newest stored weights
mapped to uids at the head, the mode the subnet takes them in, or why no commit can start. Also
the ports the committer reads and writes through.

Split from `committer.py` (which runs attempts and keeps their log) so that each reads in one go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .models import BlockRef, CommitMode, Epoch, ExtrinsicReceipt, Hyperparameters, Metagraph
from .models_metagraph import Mechanisms
from .store import WeightStore
from .validation import commit_refusal


class ChainView(Protocol):
    """What the committer reads (`ChainReader`)."""

    @property
    def head(self) -> BlockRef | None: ...
    async def epoch(self, ref: BlockRef) -> Epoch: ...
    async def metagraph(self, ref: BlockRef) -> Metagraph: ...
    async def hyperparameters(self, ref: BlockRef) -> Hyperparameters: ...
    async def mechanisms(self, ref: BlockRef) -> Mechanisms: ...


class WeightWriter(Protocol):
    """What the committer writes with (`ChainClient`)."""

    async def set_weights(
        self,
        netuid: int,
        weights: dict[int, float],
        wallet: Any,
        *,
        version_key: int = ...,
        on_in_block: Callable[[BlockRef], Awaitable[None]] | None = ...,
        mechanism: int = ...,
    ) -> ExtrinsicReceipt: ...

    async def commit_weights(
        self,
        netuid: int,
        weights: dict[int, float],
        wallet: Any,
        *,
        at: BlockRef,
        version_key: int = ...,
        block_time: float = ...,
        on_in_block: Callable[[BlockRef], Awaitable[None]] | None = ...,
        mechanism: int = ...,
    ) -> ExtrinsicReceipt: ...


class CommitRefused(Exception):
    """A commit that cannot start: `reason` says why (no hotkey, no weights, one in flight,
    another replica leads: then `leader_replica` names it when known)."""

    def __init__(self, message: str, reason: str, *, leader_replica: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.leader_replica = leader_replica


@dataclass(frozen=True)
class CommitPlan:
    """The vector one attempt commits, and how."""

    #: First block of the epoch whose weights these are.
    weights_epoch: int
    #: Every uid registered at the head: its weight, 0 for neurons the validator gave none.
    weights: dict[int, float]
    hyperparameters: Hyperparameters
    mode: CommitMode


async def plan_commit(
    store: WeightStore,
    reader: ChainView,
    hotkey: str,
    netuid: int,
    head: BlockRef,
    epoch: Epoch,
    mechanism: int = 0,
) -> CommitPlan:
    """The plan of a commit at `head`, or `CommitRefused` saying why there is none."""
    of = "" if mechanism == 0 else f" of mechanism {mechanism}"
    # The newest weights: the epoch's, else those of the latest epoch that has any.
    weights_epoch = await store.latest_weights_epoch(head.number, mechanism)
    if weights_epoch is None:
        raise CommitRefused(
            f"no weights{of} to commit: none was written in epoch {epoch.start} or before",
            "no_weights",
        )
    entries = await store.weights(weights_epoch, mechanism)
    if not entries:
        # Cleared (clearWeights, or setWeights emptied it): the vector is empty, and the
        # chain keeps what it has rather than an older epoch's weights going on chain.
        raise CommitRefused(
            f"no weights{of} to commit: the weights of epoch {weights_epoch} were cleared",
            "no_weights",
        )
    metagraph = await reader.metagraph(head)
    hyperparameters = await reader.hyperparameters(head)
    me = metagraph.by_hotkey.get(hotkey)
    # Each mechanism has its own rate limit on chain (LastUpdate per storage index); the
    # metagraph's last_update is mechanism 0's: the chain judges the others' itself.
    last_update = 0 if me is None or mechanism != 0 else me.last_update
    refusal = commit_refusal(
        registered=me is not None,
        last_update=last_update,
        weights_rate_limit=hyperparameters.weights_rate_limit,
        head=head.number,
    )
    if refusal == "not_registered":
        raise CommitRefused(
            f"the validator hotkey {hotkey} is not registered in subnet {netuid} at block "
            f"{head.number}",
            refusal,
        )
    if refusal is not None:
        raise CommitRefused(
            f"rate limited: the chain takes weights from this hotkey again at block "
            f"{last_update + hyperparameters.weights_rate_limit} (weights_rate_limit "
            f"{hyperparameters.weights_rate_limit})",
            refusal,
        )
    weights = {neuron.uid: 0.0 for neuron in metagraph.neurons}
    for entry in entries:
        neuron = metagraph.by_hotkey.get(entry.hotkey)
        if neuron is not None:
            weights[neuron.uid] = entry.weight
    mode = (
        CommitMode.COMMIT_REVEAL
        if hyperparameters.commit_reveal_weights_enabled
        else CommitMode.SET
    )
    return CommitPlan(weights_epoch, weights, hyperparameters, mode)
