"""The full metagraph's models: what they derive from the chain's raw values."""

from __future__ import annotations

from pylon_gql.models_metagraph import (
    U64_MAX,
    RevealedCommitment,
    StakeLink,
    scale_payload,
)
from pylon_gql.scale import encode_compact


def test_a_revealed_payload_loses_its_scale_length_as_the_sdks_strip_it() -> None:
    for payload in (b"", b"x", b"hello world", bytes(100), "é".encode() * 40):
        raw = encode_compact(len(payload)) + payload
        assert scale_payload(raw) == payload
        revealed = RevealedCommitment("hotkey", raw, 7)
        assert revealed.data == payload
    # bytes whose first byte is no length that fits them are the payload themselves
    assert scale_payload(b"revealed") == b"revealed"
    assert scale_payload(b"\x01") == b"\x01"
    assert RevealedCommitment("hotkey", b"\x08\xff\xfe", 7).text is None


def test_a_links_proportion_is_its_share_of_u64_max() -> None:
    assert StakeLink("h", U64_MAX).proportion == 1.0
    assert StakeLink("h", 0).proportion == 0.0
    assert abs(StakeLink("h", U64_MAX // 4).proportion - 0.25) < 1e-12
