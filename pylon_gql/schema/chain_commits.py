"""Commits on chain that are not weights yet, and commitments the chain has revealed."""

from __future__ import annotations

import strawberry

from .. import models
from ..models_metagraph import PendingWeightCommit, RevealedCommitment
from .types import BlockRef


@strawberry.type(
    name="PendingWeightCommit",
    description="A timelocked weight commit the chain has not revealed yet "
    "(`SubtensorModule.TimelockedWeightCommits`): the weights are encrypted to a drand round "
    "and become the validator's row of `chainWeights` when the chain reveals them.",
)
class PendingWeightCommitInfo:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey that committed.")
    uid: int | None = strawberry.field(
        description="That hotkey's uid at the block; null when it is not registered there."
    )
    epoch: int = strawberry.field(
        description="The epoch it was committed in (subtensor's epoch index, "
        "`(block + netuid + 1) // (tempo + 1)`), its key in storage."
    )
    commit_block: int = strawberry.field(description="The block it was committed at.")
    reveal_round: int = strawberry.field(
        description="The drand round whose signature decrypts it (the chain reveals it once "
        "that round is out)."
    )
    ciphertext: str = strawberry.field(description="The encrypted weights, as 0x-prefixed hex.")

    @classmethod
    def from_model(
        cls, commit: PendingWeightCommit, ref: models.BlockRef, uid: int | None
    ) -> PendingWeightCommitInfo:
        return cls(
            block=BlockRef.from_model(ref),
            hotkey=commit.hotkey,
            uid=uid,
            epoch=commit.epoch,
            commit_block=commit.commit_block,
            reveal_round=commit.reveal_round,
            ciphertext="0x" + commit.ciphertext.hex(),
        )


@strawberry.type(
    name="RevealedCommitment",
    description="A timelocked commitment the chain has decrypted "
    "(`Commitments.RevealedCommitments`; it keeps a hotkey's last 10).",
)
class RevealedCommitmentInfo:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    hotkey: str = strawberry.field(description="SS58 address of the hotkey that committed.")
    revealed_at: int = strawberry.field(description="The block in which the chain revealed it.")
    data: str = strawberry.field(
        description="The revealed payload, as 0x-prefixed hex: the decrypted bytes without the "
        "SCALE length prefix the chain keeps them with (as the SDKs read them)."
    )
    text: str | None = strawberry.field(
        description="The payload as text; null when it is not valid UTF-8."
    )

    @classmethod
    def from_model(
        cls, revealed: RevealedCommitment, ref: models.BlockRef
    ) -> RevealedCommitmentInfo:
        return cls(
            block=BlockRef.from_model(ref),
            hotkey=revealed.hotkey,
            revealed_at=revealed.revealed_at,
            data="0x" + revealed.data.hex(),
            text=revealed.text,
        )
