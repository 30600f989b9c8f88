"""Tortoise models of what the server keeps: the validator's weights and its commit log."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Weight(Model):
    """A weight the validator gave `hotkey` in the epoch starting at block `epoch`."""

    id = fields.IntField(primary_key=True)
    hotkey = fields.CharField(max_length=64)
    # As it was when the weight was written: a later tempo change does not move it
    # (`WeightStore.epoch`). Indexed: the newest epoch at a block is looked up at every block.
    #: First block of the epoch the weight is for.
    epoch = fields.IntField(db_index=True)
    weight = fields.FloatField()
    updated_at = fields.DatetimeField()
    #: The subnet's mechanism the weight is for (0: the subnet's own weights).
    mechanism = fields.IntField(default=0)

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        table = "weight"
        unique_together = (("hotkey", "epoch", "mechanism"),)


class WeightsEpoch(Model):
    """An epoch the store holds something of (weights written or cleared, a commit attempt),
    as the chain described it then: so that answers about it need no chain read, even once
    the node has pruned its blocks."""

    id = fields.IntField(primary_key=True)
    #: First block of the epoch: the key of its weights (`Weight.epoch`).
    start = fields.IntField(unique=True)
    netuid = fields.IntField()
    tempo = fields.IntField()
    index = fields.IntField()
    #: Last block of the epoch (inclusive).
    end = fields.IntField()
    commit_window_start = fields.IntField()
    commit_window_end = fields.IntField()
    #: Whether the validator wrote (or cleared) weights in it: its vector is the epoch's own,
    #: possibly empty. False: only a commit attempt was made in it.
    written = fields.BooleanField(default=False)
    #: The head at the latest write of the epoch's weights (or commit attempt in it).
    block = fields.IntField()
    block_hash = fields.CharField(max_length=66)
    updated_at = fields.DatetimeField()

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        table = "weights_epoch"


class EpochMechanism(Model):
    """A mechanism whose weights the validator wrote (or cleared) in an epoch: its vector in
    that epoch is the epoch's own, possibly empty (`WeightsEpoch.written`, per mechanism)."""

    id = fields.IntField(primary_key=True)
    #: First block of the epoch (`WeightsEpoch.start`).
    start = fields.IntField()
    mechanism = fields.IntField()

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        table = "epoch_mechanism"
        unique_together = (("start", "mechanism"),)


class WeightCommit(Model):
    """One attempt to put the weights on chain, from start to its outcome."""

    id = fields.IntField(primary_key=True)
    #: The head when the attempt started; once in a block, the block it landed in.
    block = fields.IntField()
    #: The hash of `block` (null in rows written before it was kept).
    block_hash = fields.CharField(max_length=66, null=True)
    #: First block of the epoch the attempt was made in.
    epoch = fields.IntField()
    #: First block of the epoch whose weights were committed.
    weights_epoch = fields.IntField()
    netuid = fields.IntField()
    #: `commit_reveal` or `set`.
    mode = fields.CharField(max_length=16)
    #: `auto` (the committer in the window) or `manual` (the `commitWeights` mutation).
    trigger = fields.CharField(max_length=16, default="auto")
    uid_count = fields.IntField()
    #: SHA-256 (hex) of the uid -> weight map committed, as `weights_digest` computes it.
    digest = fields.CharField(max_length=64)
    reveal_round = fields.BigIntField(null=True)
    #: `pending`, `in_block`, `finalized` or `failed`.
    status = fields.CharField(max_length=16, db_index=True)
    error = fields.TextField(null=True)
    #: True when the server stopped before it learnt the outcome: it may have landed.
    outcome_unknown = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    #: The server process that made the attempt (`replica_id`; null in rows written before).
    replica = fields.CharField(max_length=64, null=True)
    #: The subnet's mechanism whose weights were committed (0: the subnet's own).
    mechanism = fields.IntField(default=0)

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        table = "weight_commit"


class CommitClaim(Model):
    """An epoch an automatic attempt holds: at most one per (netuid, epoch, mechanism), so that
    two committers (replicas) can never both commit a mechanism's weights in one epoch. Written
    in the transaction that records the attempt; a failed attempt (retried) gives it back in
    the transaction that marks it failed; a finalized, in-flight or interrupted one keeps it."""

    id = fields.IntField(primary_key=True)
    netuid = fields.IntField()
    #: First block of the epoch claimed (`WeightCommit.epoch`).
    epoch = fields.IntField()
    attempt: fields.OneToOneRelation[WeightCommit] = fields.OneToOneField(
        "models.WeightCommit", related_name="claim", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    #: The mechanism whose commit holds the claim (`WeightCommit.mechanism`).
    mechanism = fields.IntField(default=0)

    class Meta:  # pyright: ignore[reportIncompatibleVariableOverride]
        table = "commit_claim"
        unique_together = (("netuid", "epoch", "mechanism"),)


#: The store's tables (aerich's own are not the store's to query).
TABLES: tuple[type[Model], ...] = (Weight, WeightsEpoch, EpochMechanism, WeightCommit, CommitClaim)
