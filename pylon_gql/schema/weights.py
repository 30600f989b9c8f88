"""The validator's weights as the schema shows them: types, results, and the weight queries."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Annotated

import strawberry

from .. import models
from ..chain.errors import BlockPruned
from ..models import CommitMode, CommitStatus, WeightEntry
from .context import Info
from .errors import BadUserInput
from .permissions import SeesWeights, write_path
from .queries import BlockNumber, resolve_block
from .types import BlockRef, Epoch, domain_enum

#: Most commit attempts `weightCommits` returns.
MAX_COMMITS = 1000


WeightCommitMode = domain_enum(
    CommitMode,
    name="WeightCommitMode",
    description="How weights go on chain.",
    values={
        CommitMode.COMMIT_REVEAL: "Committed encrypted to a drand round; the chain reveals "
        "them `commitRevealPeriod` epochs later.",
        CommitMode.SET: "Set in the clear (commit-reveal is off on the subnet).",
    },
)
WeightCommitStatus = domain_enum(
    CommitStatus,
    name="WeightCommitStatus",
    description="Where a weight commit attempt is.",
    values={
        CommitStatus.PENDING: "Started: being signed or sent, in no block yet.",
        CommitStatus.IN_BLOCK: "In a block that is not finalized yet.",
        CommitStatus.FINALIZED: "In a finalized block: the chain took the weights.",
        CommitStatus.FAILED: "Refused or failed (`error` says why); nothing went on chain.",
    },
)


@strawberry.type(description="One attempt of the server to put the validator's weights on chain.")
class WeightCommit:
    id: int = strawberry.field(description="The attempt's number on this server (increasing).")
    netuid: int = strawberry.field(description="The subnet the weights are for.")
    mode: WeightCommitMode = strawberry.field(  # type: ignore[valid-type]
        description="How the weights go on chain."
    )
    uid_count: int = strawberry.field(description="How many uids the weights cover.")
    digest: str = strawberry.field(description="Digest of the weights committed.")
    reveal_round: int | None = strawberry.field(
        description="The drand round the weights reveal at (commit-reveal only)."
    )
    status: WeightCommitStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the attempt is."
    )
    error: str | None = strawberry.field(description="Why the attempt failed.")
    created_at: datetime.datetime = strawberry.field(description="When the attempt started.")
    updated_at: datetime.datetime = strawberry.field(description="When its status last moved.")
    replica: str | None = strawberry.field(
        description="The server (`PYLON_REPLICA_ID`) that made the attempt: with several "
        "replicas, the one that led the committer then. Null for attempts logged before "
        "servers recorded it."
    )
    mechanism: int = strawberry.field(
        description="The subnet's mechanism whose weights were committed (0: the subnet's "
        "own, with set_mechanism_weights / commit_timelocked_mechanism_weights of mechanism 0)."
    )
    attempt: strawberry.Private[models.CommitAttempt]

    @strawberry.field(
        description="The head when the attempt started; once in a block, the block it is in."
    )
    async def block(self, info: Info) -> BlockRef:
        return BlockRef.from_model(await _commit_block(info, self.attempt))

    @strawberry.field(
        description="The epoch the attempt was made in, as the server recorded it (its "
        "`block` is the latest write or commit the server made in it). Its `start` is the "
        "epoch's key: `weights(epoch:)` takes it."
    )
    async def epoch(self, info: Info) -> Epoch:
        start = self.attempt.epoch
        recorded = await write_path(info).store.recorded_epoch(start)
        if recorded is not None:
            epoch, ref = recorded
            return Epoch.from_model(epoch, ref)
        # An attempt logged before the server recorded epochs: the chain's, at its start.
        ref = await resolve_block(info, start)
        return Epoch.from_model(await weights_epoch(info, ref), ref)

    @classmethod
    def from_model(cls, attempt: models.CommitAttempt) -> WeightCommit:
        return cls(
            id=attempt.id,
            netuid=attempt.netuid,
            mode=attempt.mode,
            uid_count=attempt.uid_count,
            digest=attempt.digest,
            reveal_round=attempt.reveal_round,
            status=attempt.status,
            error=attempt.error,
            created_at=attempt.created_at,
            updated_at=attempt.updated_at,
            replica=attempt.replica,
            mechanism=attempt.mechanism,
            attempt=attempt,
        )


async def _commit_block(info: Info, attempt: models.CommitAttempt) -> models.BlockRef:
    if attempt.block_hash is not None:
        return models.BlockRef(attempt.block, attempt.block_hash)
    # Logged before the store kept hashes: the node keeps every block's hash, pruned or not.
    return await resolve_block(info, attempt.block)


@strawberry.type(description="The weight the validator gave a hotkey in an epoch.")
class Weight:
    hotkey: str = strawberry.field(description="SS58 address of the hotkey.")
    weight: float = strawberry.field(
        description="The weight as written, a finite number >= 0, relative to the epoch's "
        "others: a commit scales the vector so that its largest weight is 65535 (u16)."
    )
    updated_at: datetime.datetime = strawberry.field(description="When it was last written.")
    mechanism: int = strawberry.field(
        description="The subnet's mechanism the weight is for (0: the subnet's own weights)."
    )

    @classmethod
    def from_entry(cls, entry: WeightEntry) -> Weight:
        return cls(
            hotkey=entry.hotkey,
            weight=entry.weight,
            updated_at=entry.updated_at,
            mechanism=entry.mechanism,
        )


@strawberry.type(description="The weights the validator wrote in one epoch.")
class EpochWeights:
    block: BlockRef = strawberry.field(
        description="The block this answer is for: the one asked for (or the head); with "
        "`epoch:`, the head at the epoch's latest write."
    )
    epoch: Epoch = strawberry.field(
        description="The epoch containing `block`; its `start` is the key of its weights."
    )
    weights: list[Weight] = strawberry.field(
        description="The epoch's vector, by hotkey: what the server commits (hotkeys not "
        "registered at the commit's head are left out, their uids' new owners get 0)."
    )
    mechanism: int = strawberry.field(
        description="The subnet's mechanism the vector is for (0: the subnet's own weights)."
    )


@strawberry.enum(description="How `setWeights` writes a batch into the epoch's weights.")
class SetWeightsMode(Enum):
    REPLACE = strawberry.enum_value(
        "replace",
        description="The epoch's weights become exactly the batch (others are deleted, in the "
        "same transaction), as bittensor's `set_weights` replaces the vector on chain.",
    )
    MERGE = strawberry.enum_value(
        "merge",
        description="The batch is written over the epoch's weights (upsert); hotkeys not in "
        "it keep their weight.",
    )


@strawberry.input(description="A hotkey and the weight the validator gives it.")
class WeightInput:
    hotkey: str = strawberry.field(description="SS58 address of the hotkey.")
    weight: float = strawberry.field(description="A finite number >= 0.")


@strawberry.type(description="One entry of the input that was refused, and why.")
class InvalidEntry:
    index: int | None = strawberry.field(description="Its position in the input list.")
    hotkey: str | None = strawberry.field(description="The entry's hotkey, when it has one.")
    reason: str = strawberry.field(description="Why the entry was refused.")


@strawberry.type(
    description="The input was refused and nothing was changed: `entries` names what was wrong."
)
class ValidationError:
    message: str = strawberry.field(description="What was wrong, in words.")
    entries: list[InvalidEntry] = strawberry.field(
        description="The entries refused (empty when the input as a whole was)."
    )


_WRITTEN_AT = (
    "The head the write was made at: `weights(block:)` at it (or any later block of the "
    "epoch, or with no block) shows the write."
)


@strawberry.type(description="The weights were written, all of them, in one transaction.")
class SetWeightsSuccess:
    block: BlockRef = strawberry.field(description=_WRITTEN_AT)
    epoch: Epoch = strawberry.field(description="The epoch they are for: the head's.")
    mode: SetWeightsMode = strawberry.field(description="How the batch was written.")
    count: int = strawberry.field(description="How many weights were written.")


@strawberry.type(description="The weight as it is now stored.")
class WeightSuccess:
    block: BlockRef = strawberry.field(description=_WRITTEN_AT)
    epoch: Epoch = strawberry.field(description="The epoch it is for: the head's.")
    weight: Weight = strawberry.field(description="The weight as now stored.")


@strawberry.type(description="The epoch's weights were deleted: its vector is empty.")
class ClearWeightsSuccess:
    block: BlockRef = strawberry.field(description=_WRITTEN_AT)
    epoch: Epoch = strawberry.field(description="The epoch cleared: the head's.")
    count: int = strawberry.field(description="How many weights were deleted.")


@strawberry.type(description="The hotkey has no weight in the epoch any more.")
class DeleteWeightSuccess:
    block: BlockRef = strawberry.field(description=_WRITTEN_AT)
    epoch: Epoch = strawberry.field(description="The epoch it was deleted from: the head's.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey.")
    deleted: Weight | None = strawberry.field(
        description="The weight it had; null when it had none (nothing changed)."
    )


@strawberry.type(description="An attempt to commit the weights has started.")
class CommitWeightsSuccess:
    commit: WeightCommit = strawberry.field(
        description="The attempt, PENDING: follow it with `weightCommits` or the "
        "`weightCommit` subscription."
    )


@strawberry.type(description="No commit was started; `reason` says why.")
class CommitRefused:
    message: str = strawberry.field(description="Why, in words.")
    reason: str = strawberry.field(
        description="`no_weights`, `in_flight`, `no_head`, `rate_limited`, `not_registered`, "
        "or `not_leader`: another replica of this server commits the weights (send the "
        "mutation to `leaderReplica`, or retry: a replica takes the lead within seconds of the "
        "leader stopping)."
    )
    leader_replica: str | None = strawberry.field(
        default=None,
        description="With `not_leader`: the replica that commits, when known (its id, as its "
        "/health shows it under `committer.replica`).",
    )


@strawberry.type(
    description="The chain refused or failed the extrinsic; `reason` is the module error."
)
class ChainRejected:
    message: str = strawberry.field(description="What the chain answered, in words.")
    reason: str | None = strawberry.field(
        description="The module error (e.g. `BadOrigin`, `SettingWeightsTooFast`); null when "
        "the extrinsic was refused before dispatch (signature, nonce, fees)."
    )


def epoch_of(epoch: models.Epoch, ref: models.BlockRef) -> Epoch:
    return Epoch.from_model(epoch, ref)


EpochStart = Annotated[
    int | None,
    strawberry.argument(
        description="The epoch's first block (`Epoch.start`, the key its weights are kept "
        "by: what `setWeights`, `weights` and `weightCommits` show). A block that starts no "
        "epoch is BAD_USER_INPUT naming the start of the epoch containing it."
    ),
]


async def _epoch_starting_at(info: Info, start: int) -> tuple[models.Epoch, models.BlockRef]:
    """The epoch starting at block `start` as the store recorded it, without the chain; an
    epoch nothing was written in is asked of the chain (empty, or refused: no such start)."""
    if start < 0:
        raise BadUserInput(f"`epoch` is a block number, >= 0; got {start}")
    recorded = await write_path(info).store.recorded_epoch(start)
    if recorded is not None:
        epoch, ref = recorded
        return epoch, ref
    ref = await resolve_block(info, start)
    epoch = await weights_epoch(info, ref)
    if epoch.start != start:
        raise BadUserInput(
            f"no epoch starts at block {start}: it is in the epoch starting at block "
            f"{epoch.start} (`epoch` takes an epoch's first block, `Epoch.start`, not its index)"
        )
    return epoch, ref


async def weights_epoch(info: Info, ref: models.BlockRef) -> models.Epoch:
    """The epoch containing `ref` as the weights are keyed: from the tempo on chain there, and
    never moved back past weights written before a tempo raise (`WeightStore.epoch`)."""
    return await write_path(info).store.epoch(await info.context.reader.epoch(ref))


@strawberry.type
class WeightQuery:
    @strawberry.field(
        description="The weights the validator wrote for an epoch: the one containing "
        "`block` (the head's when neither is given), or the one starting at block `epoch` "
        "(its `Epoch.start`). `epoch:` is answered from the server's database without the "
        "chain; so is `block:` for a block whose state the node has pruned, when the server "
        "recorded the epoch containing it. Needs the validator role (unless the server runs "
        "with PYLON_PUBLIC_WEIGHTS=true).",
        permission_classes=[SeesWeights],
    )
    async def weights(
        self,
        info: Info,
        block: BlockNumber = None,
        epoch: EpochStart = None,
        mechanism: Annotated[
            int,
            strawberry.argument(
                description="The subnet's mechanism whose vector to read (0, the default: the "
                "subnet's own weights). Answered from the database: a mechanism never written "
                "has an empty vector."
            ),
        ] = 0,
    ) -> EpochWeights:
        if block is not None and epoch is not None:
            raise BadUserInput("give `block` or `epoch`, not both")
        if mechanism < 0:
            raise BadUserInput(f"`mechanism` must be 0 or more; got {mechanism}")
        store = write_path(info).store
        if epoch is not None:
            found, ref = await _epoch_starting_at(info, epoch)
        else:
            ref = await resolve_block(info, block)
            try:
                found = await weights_epoch(info, ref)
            except BlockPruned:
                recorded = await store.recorded_epoch_at(ref.number)
                if recorded is None:
                    raise
                found = recorded[0]
        entries = await store.weights(found.start, mechanism)
        return EpochWeights(
            block=BlockRef.from_model(ref),
            epoch=epoch_of(found, ref),
            weights=[Weight.from_entry(entry) for entry in entries],
            mechanism=mechanism,
        )

    @strawberry.field(
        description=f"The server's attempts to commit the weights, newest first (at most "
        f"{MAX_COMMITS}). Needs the validator role (unless PYLON_PUBLIC_WEIGHTS=true).",
        permission_classes=[SeesWeights],
    )
    async def weight_commits(
        self,
        info: Info,
        last: Annotated[
            int, strawberry.argument(description="How many of the latest attempts.")
        ] = 20,
    ) -> list[WeightCommit]:
        if not 0 < last <= MAX_COMMITS:
            raise BadUserInput(f"`last` must be 1 to {MAX_COMMITS}; got {last}")
        records = await write_path(info).store.commits(last)
        return [WeightCommit.from_model(record) for record in records]
