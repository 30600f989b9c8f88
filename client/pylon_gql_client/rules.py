"""The server's input rules, as the client's fake applies them: pure functions, stdlib only.

The client cannot import the server, so the rules the server judges input by are written again
here, in the server's words: each `*_problem` function answers with the reason an input is
refused, or None when it is fine. `pylon_gql_client/testing/vectors.json` lists inputs and the
server's verdict on each; the client's tests check these rules against it, and the contract
suite sends the same inputs to the real server and to the fake.

What the GraphQL layer refuses before any server code runs (a Float that is NaN, an Int past 32
bits) is here too: the server's answer to such a call is a BAD_USER_INPUT error (a variable
that does not coerce), not a `ValidationError` result, and the fake must answer the same.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

# --- GraphQL's scalars (graphql-core's input coercion)

#: The range of GraphQL's `Int` (32-bit signed).
GRAPHQL_MIN_INT = -(2**31)
GRAPHQL_MAX_INT = 2**31 - 1


def int_problem(value: object) -> str | None:
    """Why `value` is no GraphQL `Int` (a 32-bit integer; an integral float counts)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"Int cannot represent non-integer value: {value!r}"
    if isinstance(value, float) and (not math.isfinite(value) or int(value) != value):
        return f"Int cannot represent non-integer value: {value!r}"
    if not GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        return f"Int cannot represent non 32-bit signed integer value: {value!r}"
    return None


def float_problem(value: object) -> str | None:
    """Why `value` is no GraphQL `Float` (a finite number; JSON has no NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"Float cannot represent non numeric value: {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"Float cannot represent non numeric value: {value!r}"
    if isinstance(value, int):
        try:
            exact = int(float(value)) == value
        except OverflowError:
            return f"Float cannot represent non numeric value: {value!r} (value is too large)"
        if not exact:
            return (
                f"Float cannot represent non numeric value: {value!r} (value would lose precision)"
            )
    return None


# --- account keys

#: Bittensor's SS58 address format: every account key the server takes is of this one.
SS58_FORMAT = 42
_BASE58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_RESERVED_FORMATS = (46, 47)


def _base58_decode(text: str) -> bytes | None:
    """`base58.b58decode` (which scalecodec uses): trailing whitespace is dropped first."""
    try:
        raw = text.rstrip().encode("ascii")
    except UnicodeEncodeError:
        return None
    digits = raw.lstrip(_BASE58[:1])
    number = 0
    for char in digits:
        index = _BASE58.find(bytes([char]))
        if index < 0:
            return None
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return bytes(len(raw) - len(digits)) + body


def _checksum_length(size: int, prefix_length: int) -> int | None:
    """scalecodec's table: the checksum's length by the decoded address's length."""
    if size in (3, 4, 6, 10):
        return 1
    if size in (5, 7, 11, 34 + prefix_length, 35 + prefix_length):
        return 2
    return {8: 3, 12: 3, 9: 4, 13: 4, 14: 5, 15: 6, 16: 7, 17: 8}.get(size)


#: The server refuses an address longer than this before decoding it (a 32-byte key's SS58
#: address is 48 characters); `pylon_gql.validation.MAX_ADDRESS_LENGTH`.
MAX_ADDRESS_LENGTH = 48


def is_ss58(address: str) -> bool:
    """Whether the server takes `address` as an account key: at most MAX_ADDRESS_LENGTH
    characters, then scalecodec's `is_valid_ss58_address(address, valid_ss58_format=42)`, step
    for step, and then a 32-byte key (`pylon_gql.validation.ACCOUNT_KEY_BYTES`): account indices
    (`F7NZ`) are refused, and so is a `0x` public key."""
    if address.startswith("0x") or address == "" or len(address) > MAX_ADDRESS_LENGTH:
        return False
    decoded = _base58_decode(address)
    # Empty, or a two-byte prefix cut short: scalecodec raises IndexError there, and the
    # server refuses the address as it refuses any other that is not one.
    if not decoded or (decoded[0] & 0b0100_0000 and len(decoded) < 2):
        return False
    if decoded[0] & 0b0100_0000:
        prefix_length = 2
        ss58_format = (
            ((decoded[0] & 0b0011_1111) << 2)
            | (decoded[1] >> 6)
            | ((decoded[1] & 0b0011_1111) << 8)
        )
    else:
        prefix_length, ss58_format = 1, decoded[0]
    if ss58_format in _RESERVED_FORMATS or ss58_format != SS58_FORMAT:
        return False
    length = _checksum_length(len(decoded), prefix_length)
    if length is None:
        return False
    checksum = hashlib.blake2b(b"SS58PRE" + decoded[:-length]).digest()
    # A 32-byte key, its prefix and a 2-byte checksum; shorter ones are account indices.
    return checksum[:length] == decoded[-length:] and len(decoded) == prefix_length + 32 + 2


def address_problem(address: str) -> str | None:
    """Why `address` is not an account key of the chain: the reason of a write's
    `ValidationError` entry, and (after "`hotkey` 'x': ") a query's BAD_USER_INPUT message."""
    if not is_ss58(address):
        return f"not an SS58 address (format {SS58_FORMAT}, starting with 5) with a valid checksum"
    return None


# --- block references and lists

_BLOCK_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
#: Most commit attempts `weightCommits` returns.
MAX_COMMITS = 1000


def block_number_problem(number: int) -> str | None:
    if number < 0:
        return f"block number must be 0 or more; got {number}"
    return None


def future_block_problem(number: int, head: int) -> str | None:
    """A block past the head: BLOCK_IN_FUTURE (with the head in `extensions.head`)."""
    if number > head:
        return (
            f"block {number} is in the future: the head is {head}; ask for a block at or below "
            "the head, or leave `block` out for the head"
        )
    return None


def block_hash_problem(block_hash: str) -> str | None:
    if not _BLOCK_HASH.fullmatch(block_hash):
        return f"malformed block hash {block_hash!r}: expected 0x followed by 64 hex digits"
    return None


def page_problem(first: int | None, offset: int, max_page_size: int) -> str | None:
    """A neuron list's `first` (at most the server's page size) and `offset`."""
    if first is not None and not 0 <= first <= max_page_size:
        return (
            f"`first` must be between 0 and {max_page_size} (the server's page size); "
            f"got {first}: page through with `offset`"
        )
    if offset < 0:
        return f"`offset` must be 0 or more; got {offset}"
    return None


#: The largest subnet number (netuids are u16).
MAX_NETUID = 65535


def netuid_problem(netuid: int | None) -> str | None:
    """A `netuid` argument outside the subnet numbers (None: the server's subnet)."""
    if netuid is not None and not 0 <= netuid <= MAX_NETUID:
        return f"netuid must be between 0 and {MAX_NETUID}; got {netuid}"
    return None


def history_problem(start: int, end: int, step: int, most: int) -> str | None:
    """A `history` series' bounds: `step` 1 or more, `start` 0 to `end`, at most `most`
    points (the server's PYLON_MAX_HISTORY_POINTS)."""
    if step < 1:
        return f"`step` must be 1 or more; got {step}"
    if start < 0 or end < start:
        return f"`fromBlock` must be 0 or more and at most `toBlock`; got {start} to {end}"
    points = (end - start) // step + 1
    if points > most:
        return (
            f"{points} points asked for ({start} to {end}, every {step}); at most {most} "
            "(PYLON_MAX_HISTORY_POINTS): raise `step` or narrow the range"
        )
    return None


def last_commits_problem(last: int) -> str | None:
    if not 0 < last <= MAX_COMMITS:
        return f"`last` must be 1 to {MAX_COMMITS}; got {last}"
    return None


# --- weights

#: Most entries one `setWeights` may carry (the server's default PYLON_MAX_WEIGHTS_BATCH).
MAX_WEIGHTS_BATCH = 4096


def weight_problem(weight: float) -> str | None:
    """A weight the server's rules refuse (a NaN or an infinity never gets this far: it is
    no GraphQL `Float`, see `float_problem`)."""
    if not math.isfinite(weight) or weight < 0:
        return f"weight {weight!r} is not a finite number >= 0"
    return None


def batch_problems(
    entries: list[tuple[str, float]], max_batch: int = MAX_WEIGHTS_BATCH
) -> tuple[str | None, list[tuple[int, str, str]]]:
    """`setWeights`' own checks, before the one for registration: a message for the whole
    batch, and each refused entry as (index, hotkey, reason). A hotkey given twice is refused
    at its second entry, unless that one is refused for another reason."""
    if not entries:
        return "no weights given", []
    if len(entries) > max_batch:
        return (
            f"{len(entries)} entries is more than one batch may carry "
            f"(PYLON_MAX_WEIGHTS_BATCH={max_batch})"
        ), []
    refused: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for index, (hotkey, weight) in enumerate(entries):
        reason = address_problem(hotkey) or weight_problem(weight)
        if reason is None and hotkey in seen:
            reason = f"the same hotkey as entry {seen[hotkey]}"
        seen.setdefault(hotkey, index)
        if reason is not None:
            refused.append((index, hotkey, reason))
    if not refused:
        return None, []
    index, hotkey, reason = refused[0]
    plural = "y" if len(refused) == 1 else "ies"
    message = (
        f"{len(refused)} invalid entr{plural}, nothing written; entry {index} ({hotkey!r}): "
        f"{reason}"
    )
    return message, refused


def added_weight(hotkey: str, current: float | None, delta: float) -> tuple[float | None, str]:
    """`updateWeight`'s sum: (the new weight, "") or (None, why it is refused). A missing
    weight counts as 0, but then the delta itself must be a weight."""
    if current is None:
        if not math.isfinite(delta) or delta < 0:
            return None, (
                f"the weight of {hotkey} (no weight yet, so the delta) must be a finite number "
                f">= 0, got {delta!r}"
            )
        return delta, ""
    if current >= -delta:
        return current + delta, ""
    return None, f"the weight of {hotkey} is {current!r}: adding {delta!r} would make it negative"


# --- what a commit records


def uid_weights(uids: Mapping[str, int], weights: Mapping[str, float]) -> dict[int, float]:
    """The weights the server commits: every uid of the metagraph (`uids`: hotkey -> uid), 0.0
    unless the validator gave its hotkey a weight; weights of hotkeys without a uid are left
    out."""
    committed = {uid: 0.0 for uid in uids.values()}
    for hotkey, weight in weights.items():
        if hotkey in uids:
            committed[uids[hotkey]] = weight
    return committed


def weights_digest(weights: Mapping[int, float]) -> str:
    """SHA-256 (hex, no 0x) of `uid:weight` lines in uid order, each weight as Python's `repr`:
    a commit's `digest`. The weights are floats as the server stores them (`1.0`, not `1`)."""
    text = "\n".join(f"{uid}:{weights[uid]!r}" for uid in sorted(weights))
    return hashlib.sha256(text.encode()).hexdigest()


# --- commitments

#: Most bytes a commitment holds (its `Raw<n>` field).
MAX_COMMITMENT_BYTES = 128
COMMITMENT_ENCODINGS = ("TEXT", "HEX")


def commitment_bytes(data: str, encoding: str) -> tuple[bytes | None, str]:
    """The bytes `setCommitment` writes: (bytes, "") or (None, why it is refused)."""
    if encoding == "HEX":
        try:
            raw = bytes.fromhex(data.removeprefix("0x"))
        except ValueError:
            return None, "`data` is not hex (0x optional, two digits a byte)"
    else:
        raw = data.encode()
    if len(raw) > MAX_COMMITMENT_BYTES:
        return None, f"{len(raw)} bytes is more than a commitment holds"
    return raw, ""


# --- hyperparameters

#: `sudo_set_*` calls whose hyperparameter has another name in `hyperparameters`: the server's
#: own table (`pylon_gql.models.RENAMED_HYPERPARAMETERS`), written beside the fake's sample data
#: by `tests/client/make_sample.py`; a test holds the two equal.
HYPERPARAMETER_OF: dict[str, str] = json.loads(
    # Found through the top package: importing `pylon_gql_client.testing` here would import
    # the fake, which imports these rules.
    resources.files("pylon_gql_client")
    .joinpath("testing", "renamed_hyperparameters.json")
    .read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class AdminArg:
    """An argument of an `AdminUtils` call: `kind` is `u8`...`u128`, `i8`...`i128`, `bool`,
    `account`, `enum` (one of `variants`) or `unsupported`."""

    name: str
    kind: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdminCall:
    """An `AdminUtils.sudo_set_*` call of the runtime."""

    name: str
    args: tuple[AdminArg, ...]

    @property
    def subnet_args(self) -> tuple[AdminArg, ...]:
        """The arguments after the `netuid` (which the server fills in)."""
        return tuple(arg for arg in self.args if arg.name != "netuid")

    @property
    def per_subnet(self) -> bool:
        return any(arg.name == "netuid" for arg in self.args)


def admin_call_name(name: str) -> str:
    """The call `setHyperparameter(name:)` makes: `name` with or without `sudo_set_`, exactly
    as given otherwise (no camelCase, no names as `hyperparameters` spells them)."""
    return name if name.startswith("sudo_set_") else f"sudo_set_{name}"


def hyperparameter_field(call: str) -> str:
    """The field of `hyperparameters` a one-argument call sets (it may be no field at all)."""
    return HYPERPARAMETER_OF.get(call, call.removeprefix("sudo_set_"))


def call_problem(calls: Mapping[str, AdminCall], name: str) -> tuple[AdminCall | None, str]:
    """The call `name` stands for, or (None, why the server refuses it)."""
    call_name = admin_call_name(name)
    call = calls.get(call_name)
    if call is None:
        return None, f"the runtime has no AdminUtils.{call_name}"
    if not call.per_subnet:
        return None, f"AdminUtils.{call_name} is not a subnet hyperparameter"
    return call, ""


def _argument_problem(arg: AdminArg, value: Any) -> str | None:
    kind = arg.kind
    if kind == "bool":
        return None if isinstance(value, bool) else f"`{arg.name}` must be a boolean, got {value!r}"
    if kind[0] in "ui" and kind[1:].isdigit():
        if isinstance(value, bool) or not isinstance(value, int):
            return f"`{arg.name}` must be an integer ({kind}), got {value!r}"
        bits = int(kind[1:])
        low, high = (
            (0, 2**bits - 1) if kind[0] == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        if not low <= value <= high:
            return f"`{arg.name}` must be in [{low}, {high}] ({kind}), got {value}"
        return None
    if kind == "account":
        if not isinstance(value, str) or not is_ss58(value):
            return f"`{arg.name}` must be an SS58 address, got {value!r}"
        return None
    if kind == "enum":
        if value not in arg.variants:
            return f"`{arg.name}` must be one of {', '.join(arg.variants)}, got {value!r}"
        return None
    return f"`{arg.name}` has a type the API cannot set"


def call_arguments(call: AdminCall, value: Any) -> tuple[dict[str, Any] | None, str]:
    """`value` as the call's arguments by name, or (None, why the server refuses it): a bare
    value for a one-argument call, else an object by argument name."""
    wanted = call.subnet_args
    unsupported = [arg.name for arg in wanted if arg.kind == "unsupported"]
    if unsupported:
        return None, (
            f"AdminUtils.{call.name}: takes {', '.join(f'`{name}`' for name in unsupported)} of "
            "a type the API cannot set (an option, a list or a struct): send this call with "
            "another client"
        )
    if len(wanted) == 1 and not isinstance(value, dict):
        values: dict[str, Any] = {wanted[0].name: value}
    elif isinstance(value, dict):
        values = value
    else:
        names = ", ".join(arg.name for arg in wanted)
        return (
            None,
            f"AdminUtils.{call.name}: takes {len(wanted)} arguments: give an object with {names}",
        )
    missing = [arg.name for arg in wanted if arg.name not in values]
    extra = [key for key in values if key not in {arg.name for arg in wanted}]
    if missing or extra:
        names = ", ".join(arg.name for arg in wanted)
        return None, (
            f"AdminUtils.{call.name}: arguments are {names} (missing: {missing}, unknown: {extra})"
        )
    for arg in wanted:
        problem = _argument_problem(arg, values[arg.name])
        if problem is not None:
            return None, f"AdminUtils.{call.name}: {problem}"
    return {arg.name: values[arg.name] for arg in wanted}, ""


def read_back(
    call: AdminCall, hyperparameters: Mapping[str, Any], args: Mapping[str, Any] | None = None
) -> Any:
    """What `setHyperparameter` answers as `value`: the value(s) the call set, as
    `hyperparameters` (snake_case names) shows them. A call whose value it leaves out the server
    reads back from the storage item the runtime keeps it in (`max_allowed_uids` from
    `MaxAllowedUids`): what was set, `args` (None when not given)."""
    if len(call.subnet_args) == 1:
        found = hyperparameters.get(hyperparameter_field(call.name))
        if found is None and args:
            [found] = args.values()
        return found
    values = {arg.name: hyperparameters.get(arg.name) for arg in call.subnet_args}
    if any(value is None for value in values.values()):
        return dict(args) if args else None
    return values


def commit_refusal(
    *, registered: bool, last_update: int, weights_rate_limit: int, head: int
) -> str | None:
    """Why the validator's weights cannot go on chain now: `not_registered` (its hotkey holds
    no uid), `rate_limited` (the chain takes weights from a hotkey once per
    `weights_rate_limit` blocks from its last update, and an extrinsic sent at `head` lands in
    the next block at the earliest); None when a commit may go ahead."""
    if not registered:
        return "not_registered"
    if last_update and head + 1 < last_update + weights_rate_limit:
        return "rate_limited"
    return None
