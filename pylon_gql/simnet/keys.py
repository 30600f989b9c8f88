"""The accounts of the simulated chain: substrate's well-known dev keys and the roles the simnet
gives them, and the seeded keys of every other (synthetic) account."""

from __future__ import annotations

import hashlib
from typing import Any

from scalecodec.utils.ss58 import ss58_encode

from .state import RAO

# well-known substrate development keys (sr25519 public keys of the URIs)
DEV_ACCOUNTS: dict[str, bytes] = {
    "//Alice": bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"),
    "//Bob": bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"),
    "//Charlie": bytes.fromhex("90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22"),
}
DEV_ROLES: dict[str, str] = {
    "owner_coldkey": "//Alice",
    "owner_hotkey": "//Alice",
    "validator_hotkey": "//Bob",
    "validator_coldkey": "//Charlie",
}
OWNER_KEY = DEV_ACCOUNTS["//Alice"]
# the Sudo pallet's key, as on a development chain
SUDO_KEY = DEV_ACCOUNTS["//Alice"]
VALIDATOR_HOTKEY = DEV_ACCOUNTS["//Bob"]
VALIDATOR_COLDKEY = DEV_ACCOUNTS["//Charlie"]
VALIDATOR_STAKE = 250_000 * RAO


def dev_keys() -> dict[str, tuple[str, str]]:
    """role -> (secret URI, SS58 address)."""
    return {role: (uri, ss58_encode(DEV_ACCOUNTS[uri], 42)) for role, uri in DEV_ROLES.items()}


def seeded_hash(seed: int, *parts: Any) -> bytes:
    """32 bytes made from the seed and `parts`: the synthetic accounts' keys, and the roots of
    produced headers. The same seed gives the same chain."""
    return hashlib.blake2b(
        repr((seed, *parts)).encode(), digest_size=32, person=b"pylon-simnet"
    ).digest()
