"""The validator's weights as the schema shows them: types, results, and the weight queries."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from .. import models
from ..models import CommitMode, CommitStatus, WeightEntry
from .context import Info
from .errors import BadUserInput
from .permissions import SeesWeights, write_path
from .queries import BlockNumber, resolve_block
from .types import BlockRef, Epoch

#: Most commit attempts `weightCommits` returns.
MAX_COMMITS = 1000


WeightCommitMode = strawberry.enum(
    CommitMode, name="WeightCommitMode", description="How weights go on chain."
)
WeightCommitStatus = strawberry.enum(
    CommitStatus, name="WeightCommitStatus", description="Where a weight commit attempt is."
)


@strawberry.type(description="One attempt of the server to put the validator's weights on chain.")
class WeightCommit:
    id: int
    block: int = strawberry.field(
        description="The head when the attempt started; once in a block, the block it is in."
    )
    epoch: int = strawberry.field(
        description="First block of the epoch the attempt was made in (as `weights` keys them)."
    )
    netuid: int
    mode: WeightCommitMode  # type: ignore[valid-type]
    uid_count: int = strawberry.field(description="How many uids the weights cover.")
    digest: str = strawberry.field(description="Digest of the weights committed.")
    reveal_round: int | None = strawberry.field(
        description="The drand round the weights reveal at (commit-reveal only)."
    )
    status: WeightCommitStatus  # type: ignore[valid-type]
    error: str | None = strawberry.field(description="Why the attempt failed.")
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @classmethod
    def from_model(cls, attempt: models.CommitAttempt) -> WeightCommit:
        return cls(
            id=attempt.id,
            block=attempt.block,
            epoch=attempt.epoch,
            netuid=attempt.netuid,
            mode=attempt.mode,
            uid_count=attempt.uid_count,
            digest=attempt.digest,
            reveal_round=attempt.reveal_round,
            status=attempt.status,
            error=attempt.error,
            created_at=attempt.created_at,
            updated_at=attempt.updated_at,
        )


@strawberry.type(description="The weight the validator gave a hotkey in an epoch.")
class Weight:
    hotkey: str
    weight: float
    updated_at: datetime.datetime = strawberry.field(description="When it was last written.")

    @classmethod
    def from_entry(cls, entry: WeightEntry) -> Weight:
        return cls(hotkey=entry.hotkey, weight=entry.weight, updated_at=entry.updated_at)


@strawberry.type(description="The weights the validator wrote in one epoch.")
class EpochWeights:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    epoch: Epoch = strawberry.field(description="The epoch containing `block`.")
    weights: list[Weight] = strawberry.field(description="By hotkey.")


@strawberry.input(description="A hotkey and the weight the validator gives it.")
class WeightInput:
    hotkey: str = strawberry.field(description="SS58 address of the hotkey.")
    weight: float = strawberry.field(description="A finite number >= 0.")


@strawberry.type(description="One entry of the input that was refused, and why.")
class InvalidEntry:
    index: int | None = strawberry.field(description="Its position in the input list.")
    hotkey: str | None
    reason: str


@strawberry.type(
    description="The input was refused and nothing was changed: `entries` names what was wrong."
)
class ValidationError:
    message: str
    entries: list[InvalidEntry]


@strawberry.type(description="The weights were written, all of them, in one transaction.")
class SetWeightsSuccess:
    epoch: Epoch = strawberry.field(description="The epoch they are for: the head's.")
    count: int = strawberry.field(description="How many weights were written.")


@strawberry.type(description="The weight as it is now stored.")
class WeightSuccess:
    epoch: Epoch = strawberry.field(description="The epoch it is for: the head's.")
    weight: Weight


@strawberry.type(description="An attempt to commit the weights has started.")
class CommitWeightsSuccess:
    commit: WeightCommit = strawberry.field(
        description="The attempt, PENDING: follow it with `weightCommits` or the "
        "`weightCommit` subscription."
    )


@strawberry.type(description="No commit was started; `reason` says why.")
class CommitRefused:
    message: str
    reason: str = strawberry.field(
        description="`no_weights`, `in_flight`, `no_head`, `rate_limited` or `not_registered`."
    )


@strawberry.type(
    description="The chain refused or failed the extrinsic; `reason` is the module error."
)
class ChainRejected:
    message: str
    reason: str | None


def epoch_of(epoch: models.Epoch, ref: models.BlockRef) -> Epoch:
    return Epoch.from_model(epoch, ref)


async def weights_epoch(info: Info, ref: models.BlockRef) -> models.Epoch:
    """The epoch containing `ref` as the weights are keyed: from the tempo on chain there, and
    never moved back past weights written before a tempo raise (`WeightStore.epoch`)."""
    return await write_path(info).store.epoch(await info.context.reader.epoch(ref))


@strawberry.type
class WeightQuery:
    @strawberry.field(
        description="The weights the validator wrote for the epoch containing a block. Needs "
        "the validator role (unless the server runs with PYLON_PUBLIC_WEIGHTS=true).",
        permission_classes=[SeesWeights],
    )
    async def weights(self, info: Info, block: BlockNumber = None) -> EpochWeights:
        ref = await resolve_block(info, block)
        epoch = await weights_epoch(info, ref)
        entries = await write_path(info).store.weights(epoch.start)
        return EpochWeights(
            block=BlockRef.from_model(ref),
            epoch=epoch_of(epoch, ref),
            weights=[Weight.from_entry(entry) for entry in entries],
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
