"""The hashes substrate uses, against known keys and turbobt's own hashers."""

from __future__ import annotations

import pytest
from turbobt.substrate import _hashers

from pylon_gql.simnet.hashing import HASHERS, blake2_256, twox128


def test_twox128_gives_substrates_well_known_prefixes():
    # System.Account and Timestamp.Now, as every substrate chain keys them
    assert (twox128(b"System") + twox128(b"Account")).hex() == (
        "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
    )
    assert (twox128(b"Timestamp") + twox128(b"Now")).hex() == (
        "f0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb"
    )


@pytest.mark.parametrize("name", ["Blake2_128Concat", "Twox64Concat", "Identity"])
def test_map_hashers_match_turbobts(name: str):
    for data in (b"", b"\x01\x00", bytes(range(32))):
        assert HASHERS[name](data) == _hashers.HASHERS[name].function(bytearray(data))


def test_blake2_256_is_32_bytes_and_in_the_hasher_table():
    assert len(blake2_256(b"simnet")) == 32
    assert HASHERS["Blake2_256"](b"simnet") == blake2_256(b"simnet")
    assert HASHERS["Twox128"](b"System") == twox128(b"System")
