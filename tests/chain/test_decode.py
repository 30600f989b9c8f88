"""turbobt's dicts as domain models: commitments as the chain stores them
(`Commitments.CommitmentOf`), and the small conversions the client leans on.

The neuron mapping is checked against the whole finney snapshot in test_client.py.
"""

from __future__ import annotations

import datetime

from pylon_gql.chain.decode import as_hex, block_from_raw, commitment_from_raw, header_number


def registration(*fields: object, block: int = 77) -> dict[str, object]:
    return {"block": block, "deposit": 0, "info": {"fields": list(fields)}}


def test_raw_data_is_the_committed_bytes() -> None:
    commitment = commitment_from_raw("5Hot", registration({"Raw5": "0x68656c6c6f"}))

    assert commitment is not None
    assert (commitment.hotkey, commitment.block, commitment.data) == ("5Hot", 77, b"hello")
    assert commitment.text == "hello" and commitment.reveal_round is None


def test_timelock_encrypted_data_is_not_text_until_revealed() -> None:
    raw = registration({"TimelockEncrypted": {"encrypted": "0xc0ffee", "reveal_round": 4242}})

    commitment = commitment_from_raw("5Hot", raw)

    assert commitment is not None
    assert commitment.data == bytes.fromhex("c0ffee")
    assert commitment.reveal_round == 4242
    assert commitment.text is None


def test_a_registration_without_data_is_no_commitment() -> None:
    assert commitment_from_raw("5Hot", registration()) is None
    assert commitment_from_raw("5Hot", registration("None")) is None


def test_undecodable_bytes_have_no_text() -> None:
    commitment = commitment_from_raw("5Hot", registration({"Raw2": "0xfffe"}))

    assert commitment is not None and commitment.text is None


def test_a_hash_turbobt_turned_into_bytes_is_hex_again() -> None:
    assert as_hex(bytearray.fromhex("ab" * 32)) == "0x" + "ab" * 32
    assert as_hex("0x" + "cd" * 32) == "0x" + "cd" * 32


def test_a_header_number_is_hex_text_or_an_int() -> None:
    assert header_number("0x689052") == 6852690
    assert header_number(6852690) == 6852690


def test_a_block_whose_state_is_gone_has_no_timestamp() -> None:
    header = {"number": 7, "parentHash": "0x" + "00" * 32}

    pruned = block_from_raw("0x" + "07" * 32, header, None)
    kept = block_from_raw("0x" + "07" * 32, header, 1_764_000_000_000)

    assert (pruned.number, pruned.parent_hash, pruned.timestamp) == (7, "0x" + "00" * 32, None)
    assert kept.timestamp == datetime.datetime(2025, 11, 24, 16, 0, tzinfo=datetime.UTC)
