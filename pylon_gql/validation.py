"""The domain's input rules, each written once: account addresses, weights, block references.

A rule answers with the reason an input is refused (words a user can act on), or None when the
input is fine. Every layer that judges input asks here and wraps the reason in its own error:
the schema in a BAD_USER_INPUT error or a `ValidationError` entry, the reader in `ValueError`,
the store in `WeightRangeError`. The client's fake keeps the same rules in its own small module
(`pylon_gql_client.rules`, it cannot import the server); both are tested against one set of
vectors.
"""

from __future__ import annotations

import math
import re

from scalecodec.utils.ss58 import is_valid_ss58_address, ss58_decode

#: Bittensor's SS58 address format (addresses start with 5).
SS58_FORMAT = 42
_BLOCK_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


#: Characters of the longest SS58 address of a 32-byte key; anything longer is refused before
#: it is decoded (base58 decoding takes time quadratic in the length: 40,000 characters, 3 s).
MAX_ADDRESS_LENGTH = 48
#: Bytes of an account's public key (a hotkey or coldkey).
ACCOUNT_KEY_BYTES = 32


def address_problem(address: str) -> str | None:
    """Why `address` is not an account of this chain (SS58, format 42, valid checksum)."""
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"not an SS58 address: longer than {MAX_ADDRESS_LENGTH} characters"
    try:
        valid = is_valid_ss58_address(address, valid_ss58_format=SS58_FORMAT)
    except (IndexError, ValueError, TypeError):
        # scalecodec raises on what decodes to nothing (" ", "\t") or to a cut-short two-byte
        # prefix ("27"): no address either way.
        valid = False
    if not valid:
        return f"not an SS58 address (format {SS58_FORMAT}, starting with 5) with a valid checksum"
    if len(ss58_decode(address, valid_ss58_format=SS58_FORMAT)) != 2 * ACCOUNT_KEY_BYTES:
        # SS58 also encodes account indices ("F7NZ"): no key, so no hotkey, and no storage key
        # can be made of one (commitment(hotkey:) failed with INTERNAL_SERVER_ERROR).
        return f"not an account: an SS58 address of a {ACCOUNT_KEY_BYTES}-byte key, not an index"
    return None


def weight_problem(weight: float) -> str | None:
    """Why `weight` cannot be a weight: the chain normalises finite, non-negative weights."""
    if not math.isfinite(weight) or weight < 0:
        return f"weight {weight!r} is not a finite number >= 0"
    return None


def delta_problem(delta: float) -> str | None:
    """Why `delta` cannot be added to a weight (whether the sum stays >= 0 is the store's)."""
    if not math.isfinite(delta):
        return f"delta {delta!r} is not a finite number"
    return None


def block_number_problem(number: int) -> str | None:
    if number < 0:
        return f"block number must be 0 or more; got {number}"
    return None


def block_hash_problem(block_hash: object) -> str | None:
    if not isinstance(block_hash, str) or not _BLOCK_HASH.fullmatch(block_hash):
        return f"malformed block hash {block_hash!r}: expected 0x followed by 64 hex digits"
    return None


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
