"""TAO transfers: what moves, and the Balances errors of what cannot."""

from __future__ import annotations

import pytest

from pylon_gql.simnet.balances import EXISTENTIAL_DEPOSIT, TransferRefused, new_account, transfer

A, B, C = b"a" * 32, b"b" * 32, b"c" * 32


def test_a_transfer_moves_free_balance_and_makes_the_receiver():
    accounts = {A: new_account(10_000)}
    before = accounts[A]
    transfer(accounts, A, B, 3_000, keep_alive=True)
    assert accounts[A]["data"]["free"] == 7_000
    assert accounts[B]["data"]["free"] == 3_000
    assert before["data"]["free"] == 10_000  # replaced, not mutated
    transfer(accounts, B, A, 1_000, keep_alive=False)
    assert (accounts[A]["data"]["free"], accounts[B]["data"]["free"]) == (8_000, 2_000)


@pytest.mark.parametrize(
    ("value", "keep_alive", "error"),
    [
        (10_001, False, "InsufficientBalance"),
        (10_000, True, "Expendability"),
        (10_000 - EXISTENTIAL_DEPOSIT + 1, True, "Expendability"),
        (EXISTENTIAL_DEPOSIT - 1, False, "ExistentialDeposit"),
    ],
)
def test_refused_transfers_change_nothing(value: int, keep_alive: bool, error: str):
    accounts = {A: new_account(10_000)}
    with pytest.raises(TransferRefused, match=error):
        transfer(accounts, A, C, value, keep_alive=keep_alive)
    assert accounts == {A: new_account(10_000)}
