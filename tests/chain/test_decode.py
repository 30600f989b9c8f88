"""Commitments as the chain stores them (`Commitments.CommitmentOf`), as the reader serves them."""

from __future__ import annotations

import pytest

from pylon_gql.chain.client import ChainClient, commitment_from_raw
from pylon_gql.models import BlockRef

from .fixtures import SNAPSHOT_HASH, SNAPSHOT_NUMBER

SNAPSHOT_REF = BlockRef(SNAPSHOT_NUMBER, SNAPSHOT_HASH)


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


async def test_a_malformed_hotkey_is_a_value_error(client: ChainClient) -> None:
    with pytest.raises(ValueError, match="SS58"):
        await client.commitment(2, "not-a-hotkey", SNAPSHOT_REF)


async def test_the_simnet_commitments_read_back(client: ChainClient) -> None:
    everything = await client.commitments(2, SNAPSHOT_REF)
    texts = {c.text for c in everything}

    assert "validator //Bob" in texts
    assert [c.hotkey for c in everything] == sorted(c.hotkey for c in everything)
    for commitment in everything:
        assert await client.commitment(2, commitment.hotkey, SNAPSHOT_REF) == commitment
