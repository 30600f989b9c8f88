"""The root Mutation: the validator's weights, its commit and commitment, the owner's
hyperparameters. Each is guarded by permission classes; expected failures are typed results
(`ValidationError`, `CommitRefused`, `ChainRejected`) and change nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from .. import models
from ..chain.errors import ExtrinsicFailed
from ..committer import CommitRefused as Refused
from ..store import WeightRangeError
from ..validation import address_problem, delta_problem, weight_problem
from ..writes import wait_until_served
from .admin_args import call_args, read_back
from .context import Info
from .mechanisms import MechanismArg, check_mechanism
from .permissions import HasValidatorHotkey, IsOwner, IsValidator, OwnsSubnet, write_path
from .queries import resolve_block
from .types import BlockRef, Commitment, Hyperparameters
from .weights import (
    ChainRejected,
    ClearWeightsSuccess,
    CommitRefused,
    CommitWeightsSuccess,
    DeleteWeightSuccess,
    InvalidEntry,
    SetWeightsMode,
    SetWeightsSuccess,
    ValidationError,
    Weight,
    WeightCommit,
    WeightInput,
    WeightSuccess,
    epoch_of,
    weights_epoch,
)

logger = logging.getLogger(__name__)

#: Seconds a chain write waits at most for its block to be served (the follower warms a
#: block's cache, the response cache pre-renders it for at most a second).
SERVED_WAIT = 5.0

#: Most bytes a commitment's `Raw<n>` field holds.
MAX_COMMITMENT_BYTES = 128

SetWeightsResult = Annotated[
    SetWeightsSuccess | ValidationError,
    strawberry.union("SetWeightsResult", description="The weights written, or why not."),
]
WeightResult = Annotated[
    WeightSuccess | ValidationError,
    strawberry.union("WeightResult", description="The weight written, or why not."),
]
DeleteWeightResult = Annotated[
    DeleteWeightSuccess | ValidationError,
    strawberry.union("DeleteWeightResult", description="The weight deleted, or why not."),
]
CommitWeightsResult = Annotated[
    CommitWeightsSuccess | CommitRefused,
    strawberry.union("CommitWeightsResult", description="The attempt started, or why not."),
]
#: The arguments of the one-weight mutations.
Hotkey = Annotated[str, strawberry.argument(description="SS58 address of the hotkey.")]
WeightValue = Annotated[float, strawberry.argument(description="A finite number >= 0.")]
Delta = Annotated[float, strawberry.argument(description="What to add: finite, may be negative.")]


@strawberry.enum(description="How `setCommitment`'s `data` is written.")
class CommitmentEncoding(Enum):
    TEXT = strawberry.enum_value("text", description="`data` is text, written as UTF-8.")
    HEX = strawberry.enum_value("hex", description="`data` is hex (0x optional): its bytes.")


@strawberry.type(description="The commitment as the chain has it at the finalized block.")
class SetCommitmentSuccess:
    block: BlockRef = strawberry.field(description="The block the commitment was finalized in.")
    commitment: Commitment | None = strawberry.field(
        description="The hotkey's commitment read back at `block`."
    )


@strawberry.type(description="The hyperparameter was set; its value read back at `block`.")
class SetHyperparameterSuccess:
    block: BlockRef = strawberry.field(description="The block the change was finalized in.")
    call: str = strawberry.field(description="The `AdminUtils` call made.")
    value: JSON | None = strawberry.field(
        description="The value read back at `block`: from the hyperparameters, or, for a call "
        "whose value they leave out, from the `SubtensorModule` storage item the runtime keeps "
        "it in (e.g. `max_allowed_uids` from `MaxAllowedUids`); an object by argument name "
        "for a call of several."
    )
    hyperparameters: Hyperparameters = strawberry.field(
        description="All the subnet's hyperparameters at `block`."
    )


SetCommitmentResult = Annotated[
    SetCommitmentSuccess | ValidationError | ChainRejected,
    strawberry.union("SetCommitmentResult", description="The commitment set, or why it was not."),
]
SetHyperparameterResult = Annotated[
    SetHyperparameterSuccess | ValidationError | ChainRejected,
    strawberry.union(
        "SetHyperparameterResult", description="The hyperparameter set, or why it was not."
    ),
]

VALIDATOR = [IsValidator, HasValidatorHotkey]
OWNER = [IsOwner, OwnsSubnet]


def _invalid(message: str, *entries: InvalidEntry) -> ValidationError:
    return ValidationError(message=message, entries=list(entries))


async def _judge_one(
    info: Info, hotkey: str, value_problem: str | None, mechanism: int = 0
) -> ValidationError | tuple[models.BlockRef, models.Epoch]:
    """A write of one hotkey's weight, judged: the address, then the value, then (at the head)
    whether the hotkey is registered. The head and its epoch when all is well."""
    reason = address_problem(hotkey) or value_problem
    if reason is not None:
        return _invalid(
            f"{hotkey!r}: {reason}", InvalidEntry(index=None, hotkey=hotkey, reason=reason)
        )
    head, epoch = await _head_epoch(info, mechanism)
    if await _unregistered(info, head, [hotkey]):
        return _unregistered_error(head, [hotkey], {})
    return head, epoch


async def _head_epoch(info: Info, mechanism: int = 0) -> tuple[models.BlockRef, models.Epoch]:
    """The head and its epoch; BAD_USER_INPUT when the subnet has no `mechanism` there."""
    head = await resolve_block(info)
    await check_mechanism(info, head, info.context.settings.netuid, mechanism)
    return head, await weights_epoch(info, head)


async def _unregistered(info: Info, head: models.BlockRef, hotkeys: Sequence[str]) -> list[str]:
    if info.context.settings.allow_unregistered_hotkeys:
        return []
    metagraph = await info.context.reader.metagraph(head)
    return [hotkey for hotkey in hotkeys if hotkey not in metagraph.by_hotkey]


def _unregistered_error(head: models.BlockRef, hotkeys: Sequence[str], index: dict[str, int]):
    return _invalid(
        f"{len(hotkeys)} hotkey(s) are not registered in the subnet at block {head.number} "
        "(PYLON_ALLOW_UNREGISTERED_HOTKEYS=true accepts them): "
        + ", ".join(hotkeys[:10])
        + (" ..." if len(hotkeys) > 10 else ""),
        *(
            InvalidEntry(index=index.get(h), hotkey=h, reason="not registered in the subnet")
            for h in hotkeys
        ),
    )


async def _until_served(info: Info, block: models.BlockRef) -> None:
    """Answer a chain write only once queries naming no block answer at its block or later
    (the server's head can be a block behind the node when the write is finalized), at most
    `SERVED_WAIT` seconds (or PYLON_CHAIN_TIMEOUT when shorter): then the answer still says
    its block. Short, so that a write that landed never answers TIMEOUT for the wait."""
    context = info.context
    reader = context.reader
    patience = min(SERVED_WAIT, context.settings.chain_timeout)
    served = await wait_until_served(
        block.number, context.served_head or (lambda: reader.head), context.events, patience
    )
    if not served:
        logger.warning(
            "block %d of a write is not served after %g s; answering", block.number, patience
        )


def _weight_success(
    head: models.BlockRef, epoch: models.Epoch, entry: models.WeightEntry
) -> WeightSuccess:
    return WeightSuccess(
        block=BlockRef.from_model(head),
        epoch=epoch_of(epoch, head),
        weight=Weight.from_entry(entry),
    )


@strawberry.type(
    description="Writes: the validator's weights and commitment (validator role), the "
    "subnet's hyperparameters (owner role). Each answers a result type or a typed error."
)
class Mutation:
    @strawberry.mutation(
        description="Set the weights of many hotkeys for the head's epoch, in one transaction, "
        "all or nothing: one invalid entry (not SS58, a weight that is not finite and >= 0, a "
        "hotkey twice, an unregistered hotkey) writes nothing and is named. At most "
        "PYLON_MAX_WEIGHTS_BATCH entries. With `mode: REPLACE` (the default) the epoch's "
        "weights become exactly the batch, as bittensor's `set_weights` replaces the vector; "
        "`MERGE` writes the batch over them. Answers with the head it was written at.",
        permission_classes=VALIDATOR,
    )
    async def set_weights(
        self,
        info: Info,
        weights: Annotated[
            list[WeightInput],
            strawberry.argument(description="The batch: each hotkey once, with its weight."),
        ],
        mode: Annotated[
            SetWeightsMode,
            strawberry.argument(description="Replace the epoch's weights, or merge into them."),
        ] = SetWeightsMode.REPLACE,
        mechanism: MechanismArg = 0,
    ) -> SetWeightsResult:
        limit = info.context.settings.max_weights_batch
        if not weights:
            return _invalid("no weights given (`clearWeights` empties the epoch's weights)")
        if len(weights) > limit:
            return _invalid(
                f"{len(weights)} entries is more than one batch may carry "
                f"(PYLON_MAX_WEIGHTS_BATCH={limit})"
            )
        problems: list[InvalidEntry] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(weights):
            reason = address_problem(item.hotkey) or weight_problem(item.weight)
            if reason is None and item.hotkey in seen:
                reason = f"the same hotkey as entry {seen[item.hotkey]}"
            seen.setdefault(item.hotkey, index)
            if reason is not None:
                problems.append(InvalidEntry(index=index, hotkey=item.hotkey, reason=reason))
        if problems:
            first = problems[0]
            return _invalid(
                f"{len(problems)} invalid entr{'y' if len(problems) == 1 else 'ies'}, nothing "
                f"written; entry {first.index} ({first.hotkey!r}): {first.reason}",
                *problems,
            )
        head, epoch = await _head_epoch(info, mechanism)
        unregistered = await _unregistered(info, head, list(seen))
        if unregistered:
            return _unregistered_error(head, unregistered, seen)
        count = await write_path(info).store.set_weights(
            epoch.start,
            [(item.hotkey, item.weight) for item in weights],
            replace=mode is SetWeightsMode.REPLACE,
            at=(epoch, head),
            mechanism=mechanism,
        )
        return SetWeightsSuccess(
            block=BlockRef.from_model(head), epoch=epoch_of(epoch, head), mode=mode, count=count
        )

    @strawberry.mutation(
        description="Delete every weight of the head's epoch: its vector is empty, and the "
        "committer commits nothing until weights are written again (the chain keeps the "
        "weights it has; an older epoch's are not committed instead).",
        permission_classes=VALIDATOR,
    )
    async def clear_weights(self, info: Info, mechanism: MechanismArg = 0) -> ClearWeightsSuccess:
        head, epoch = await _head_epoch(info, mechanism)
        count = await write_path(info).store.clear_weights(
            epoch.start, at=(epoch, head), mechanism=mechanism
        )
        return ClearWeightsSuccess(
            block=BlockRef.from_model(head), epoch=epoch_of(epoch, head), count=count
        )

    @strawberry.mutation(
        description="Delete the weight of one hotkey in the head's epoch, registered or not "
        "(a deregistered hotkey's weight stays until deleted or replaced; the committer "
        "leaves it out meanwhile).",
        permission_classes=VALIDATOR,
    )
    async def delete_weight(
        self, info: Info, hotkey: Hotkey, mechanism: MechanismArg = 0
    ) -> DeleteWeightResult:
        reason = address_problem(hotkey)
        if reason is not None:
            return _invalid(
                f"{hotkey!r}: {reason}", InvalidEntry(index=None, hotkey=hotkey, reason=reason)
            )
        head, epoch = await _head_epoch(info, mechanism)
        deleted = await write_path(info).store.delete_weight(
            epoch.start, hotkey, at=(epoch, head), mechanism=mechanism
        )
        return DeleteWeightSuccess(
            block=BlockRef.from_model(head),
            epoch=epoch_of(epoch, head),
            hotkey=hotkey,
            deleted=None if deleted is None else Weight.from_entry(deleted),
        )

    @strawberry.mutation(
        description="Set the weight of one hotkey for the head's epoch (merged: the other "
        "hotkeys keep theirs).",
        permission_classes=VALIDATOR,
    )
    async def set_weight(
        self, info: Info, hotkey: Hotkey, weight: WeightValue, mechanism: MechanismArg = 0
    ) -> WeightResult:
        judged = await _judge_one(info, hotkey, weight_problem(weight), mechanism)
        if isinstance(judged, ValidationError):
            return judged
        head, epoch = judged
        entry = await write_path(info).store.set_weight(
            epoch.start, hotkey, weight, at=(epoch, head), mechanism=mechanism
        )
        return _weight_success(head, epoch, entry)

    @strawberry.mutation(
        description="Add `delta` (may be negative) to the weight of one hotkey for the head's "
        "epoch, atomically: concurrent updates never lose one. A missing weight counts as 0; "
        "a result below 0 is refused.",
        permission_classes=VALIDATOR,
    )
    async def update_weight(
        self, info: Info, hotkey: Hotkey, delta: Delta, mechanism: MechanismArg = 0
    ) -> WeightResult:
        judged = await _judge_one(info, hotkey, delta_problem(delta), mechanism)
        if isinstance(judged, ValidationError):
            return judged
        head, epoch = judged
        try:
            entry = await write_path(info).store.add_weight(
                epoch.start, hotkey, delta, at=(epoch, head), mechanism=mechanism
            )
        except WeightRangeError as error:
            return _invalid(str(error), InvalidEntry(index=None, hotkey=hotkey, reason=str(error)))
        return _weight_success(head, epoch, entry)

    @strawberry.mutation(
        description="Commit the weights now, inside the commit window or not (commit-reveal "
        "when the subnet has it on, else set in the clear). Returns the attempt, PENDING.",
        permission_classes=VALIDATOR,
    )
    async def commit_weights(self, info: Info, mechanism: MechanismArg = 0) -> CommitWeightsResult:
        if mechanism != 0:
            head = info.context.reader.head
            if head is not None:
                await check_mechanism(info, head, info.context.settings.netuid, mechanism)
        try:
            record = await write_path(info).committer.commit_now(mechanism)
        except Refused as refused:
            return CommitRefused(
                message=str(refused), reason=refused.reason, leader_replica=refused.leader_replica
            )
        return CommitWeightsSuccess(commit=WeightCommit.from_model(record))

    @strawberry.mutation(
        description=f"Set the validator hotkey's commitment on the subnet (at most "
        f"{MAX_COMMITMENT_BYTES} bytes), signed by the server's hotkey; waits until finalized.",
        permission_classes=VALIDATOR,
    )
    async def set_commitment(
        self,
        info: Info,
        data: Annotated[
            str, strawberry.argument(description="What to commit, as `encoding` says.")
        ],
        encoding: Annotated[
            CommitmentEncoding,
            strawberry.argument(description="How `data` is written (default TEXT)."),
        ] = CommitmentEncoding.TEXT,
    ) -> SetCommitmentResult:
        if encoding is CommitmentEncoding.HEX:
            try:
                raw = bytes.fromhex(data.removeprefix("0x"))
            except ValueError:
                return _invalid("`data` is not hex (0x optional, two digits a byte)")
        else:
            raw = data.encode()
        if len(raw) > MAX_COMMITMENT_BYTES:
            return _invalid(f"{len(raw)} bytes is more than a commitment holds")
        writes = write_path(info)
        signer = writes.signers.validator
        assert signer is not None  # HasValidatorHotkey
        try:
            receipt = await writes.chain.set_commitment(
                info.context.settings.netuid, raw, signer.wallet
            )
        except ExtrinsicFailed as error:
            return ChainRejected(message=str(error), reason=error.reason)
        await _until_served(info, receipt.block)
        found = await info.context.reader.commitment(receipt.block, signer.ss58_address)
        return SetCommitmentSuccess(
            block=BlockRef.from_model(receipt.block),
            commitment=None if found is None else Commitment.from_model(found, receipt.block),
        )

    @strawberry.mutation(
        description="Set a hyperparameter of the subnet through `AdminUtils.sudo_set_<name>` "
        "(any the runtime has; `name` with or without the prefix), signed by the owner's "
        "coldkey; waits until finalized. `value` is checked against the call's argument type: "
        "an integer, a boolean, an SS58 address or a variant name, or an object by argument "
        "name for a call that takes several.",
        permission_classes=OWNER,
    )
    async def set_hyperparameter(
        self,
        info: Info,
        name: Annotated[
            str,
            strawberry.argument(
                description="The `AdminUtils` call, with or without its `sudo_set_` prefix "
                "(e.g. `tempo` or `sudo_set_weights_set_rate_limit`)."
            ),
        ],
        value: Annotated[
            JSON,
            strawberry.argument(
                description="The value, in the unit `hyperparameters` shows it in; an object "
                "by argument name for a call that takes several."
            ),
        ],
    ) -> SetHyperparameterResult:
        writes = write_path(info)
        calls = await writes.admin_calls()
        call_name = name if name.startswith("sudo_set_") else f"sudo_set_{name}"
        call = calls.get(call_name)
        if call is None:
            return _invalid(f"the runtime has no AdminUtils.{call_name}")
        if not call.per_subnet:
            return _invalid(f"AdminUtils.{call_name} is not a subnet hyperparameter")
        args, problem = call_args(call, value)
        if problem is not None:
            return _invalid(f"AdminUtils.{call_name}: {problem}")
        owner = writes.signers.owner
        assert owner is not None  # OwnsSubnet
        netuid = info.context.settings.netuid
        try:
            receipt = await writes.chain.sudo_set(
                call_name, {"netuid": netuid, **args}, owner.wallet
            )
        except ExtrinsicFailed as error:
            return ChainRejected(message=str(error), reason=error.reason)
        await _until_served(info, receipt.block)
        hyperparameters = await info.context.reader.hyperparameters(receipt.block)
        value = await read_back(
            call,
            hyperparameters,
            lambda item: writes.chain.subnet_storage(item, netuid, receipt.block),
        )
        return SetHyperparameterSuccess(
            block=BlockRef.from_model(receipt.block),
            call=call_name,
            value=value,
            hyperparameters=Hyperparameters.from_model(hyperparameters, receipt.block),
        )
