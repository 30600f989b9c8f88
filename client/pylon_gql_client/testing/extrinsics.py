"""The fake's writes to the chain itself: the validator's commitment and the owner's
hyperparameters. Each is judged by the server's rules, then lands in a new block (the server
answers once the extrinsic is finalized, in a block after the head)."""

from __future__ import annotations

import re
from typing import Any

from .. import rules
from ..errors import InvalidInput
from ..models import (
    BlockRef,
    Commitment,
    CommitmentEncoding,
    Hyperparameters,
    HyperparameterValue,
    SetCommitmentSuccess,
    SetHyperparameterSuccess,
)
from .chain import FakeChain
from .refusals import validation_failed, variable_refused

#: Calls that set the subnet's owner hotkey (a `subnet` field, not a hyperparameter).
OWNER_HOTKEY_CALLS = ("sudo_set_sn_owner_hotkey", "sudo_set_subnet_owner_hotkey")
#: What `hyperparameters` shows.
SHOWN = frozenset(Hyperparameters.model_fields) - {"block", "all"}
#: A fixed-point type (`I32F32`): `all` shows its value as a number.
_FIXED_POINT = re.compile(r"^[IU]\d+F\d+$")
#: Integers past this are served in `all` as decimal text (JavaScript's exact range).
MAX_SAFE_INTEGER = 2**53 - 1


def _landed(chain: FakeChain) -> BlockRef:
    block = chain.produce_blocks(1)
    return BlockRef(number=block.number, hash=block.hash)


def set_commitment(
    chain: FakeChain, hotkey: str, data: str | bytes, encoding: CommitmentEncoding | str | None
) -> SetCommitmentSuccess:
    # What the client sends: bytes as 0x-hex (HEX unless told otherwise), text as TEXT.
    if isinstance(data, bytes):
        data, encoding = "0x" + data.hex(), encoding or CommitmentEncoding.HEX
    sent = str(encoding or CommitmentEncoding.TEXT)
    if sent not in rules.COMMITMENT_ENCODINGS:
        raise variable_refused(
            "encoding", f"Value {sent!r} does not exist in 'CommitmentEncoding' enum."
        )
    raw, problem = rules.commitment_bytes(data, sent)
    if raw is None:
        raise validation_failed(problem)
    ref = _landed(chain)
    try:
        text: str | None = raw.decode()
    except UnicodeDecodeError:
        text = None
    commitment = Commitment(
        block=ref, hotkey=hotkey, committed_at=ref.number, data="0x" + raw.hex(), text=text
    )
    chain.commitments = [c for c in chain.commitments if c.hotkey != hotkey] + [commitment]
    return SetCommitmentSuccess(block=ref, commitment=commitment)


def set_hyperparameter(chain: FakeChain, name: str, value: Any) -> SetHyperparameterSuccess:
    if value is None:
        raise InvalidInput(
            "Variable '$value' of non-null type 'JSON!' must not be null.",
            code="BAD_USER_INPUT",
            extensions={"code": "BAD_USER_INPUT"},
        )
    call, problem = rules.call_problem(chain.admin_calls, name)
    if call is None:
        raise validation_failed(problem)
    args, problem = rules.call_arguments(call, value)
    if args is None:
        raise validation_failed(problem)
    ref = _landed(chain)
    # As the simnet's runtime does: a one-argument call sets the hyperparameter behind it, a
    # call of several (alpha_values) the ones named like its arguments; others change nothing
    # `hyperparameters` shows.
    if call.name in OWNER_HOTKEY_CALLS:
        chain.subnet = chain.subnet.model_copy(update={"owner_hotkey": args["hotkey"]})
        changes: dict[str, Any] = {}
    elif len(args) == 1:
        field = rules.hyperparameter_field(call.name)
        [given] = args.values()
        changes = {field: given} if field in SHOWN else {}
        if field == "yuma3_enabled":  # the runtime keeps the version it enables
            changes["yuma_version"] = 3 if given else 2
    else:
        changes = {key: value for key, value in args.items() if key in SHOWN}
    shown = chain.hyperparameters
    changes["all"] = [_changed(v, changes) for v in shown.all]
    chain.hyperparameters = shown.model_copy(update={**changes, "block": ref})
    return SetHyperparameterSuccess(
        block=ref,
        call=call.name,
        value=rules.read_back(call, chain.hyperparameters.model_dump(), args),
        hyperparameters=chain.hyperparameters,
    )


def _changed(field: HyperparameterValue, changes: dict[str, Any]) -> HyperparameterValue:
    """A field of `all` after the change, its value as the server serves it in JSON."""
    if field.name not in changes:
        return field
    value = changes[field.name]
    if _FIXED_POINT.match(field.type):
        value = float(value)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        value = str(value)
    return field.model_copy(update={"value": value})
