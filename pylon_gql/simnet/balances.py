"""TAO transfers between accounts (`Balances.transfer_keep_alive`, `transfer_allow_death`).

No fees are charged; the existential deposit is finney's (500 rao): a keep-alive transfer may
not leave the sender below it (`Expendability`), no transfer may move more than is free
(`InsufficientBalance`), and a new account must receive at least it (`ExistentialDeposit`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

EXISTENTIAL_DEPOSIT = 500


class TransferRefused(Exception):
    """The Balances error a transfer fails with."""


def new_account(free: int = 0) -> dict[str, Any]:
    return {
        "nonce": 0,
        "consumers": 0,
        "providers": 1,
        "sufficients": 0,
        "data": {"free": free, "reserved": 0, "frozen": 0, "flags": 1 << 127},
    }


def transfer(
    accounts: MutableMapping[bytes, Any],
    source: bytes,
    dest: bytes,
    value: int,
    *,
    keep_alive: bool,
) -> None:
    """Move `value` rao of free balance (accounts are replaced, never mutated)."""
    sender = accounts.get(source) or new_account()
    free = sender["data"]["free"]
    if value > free:
        raise TransferRefused("InsufficientBalance")
    if keep_alive and free - value < EXISTENTIAL_DEPOSIT:
        raise TransferRefused("Expendability")
    receiver = accounts.get(dest)
    if receiver is None:
        if value < EXISTENTIAL_DEPOSIT:
            raise TransferRefused("ExistentialDeposit")
        receiver = new_account()
    accounts[source] = {**sender, "data": {**sender["data"], "free": free - value}}
    receiver = accounts.get(dest, receiver) if dest != source else accounts[source]
    data = receiver["data"]
    accounts[dest] = {**receiver, "data": {**data, "free": data["free"] + value}}
