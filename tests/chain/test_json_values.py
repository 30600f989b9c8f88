"""Decoded SCALE values as JSON by their metadata type (extrinsics' arguments, events' fields),
with spec 318's registry."""

from __future__ import annotations

from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.chain.json_values import MAX_SAFE_INTEGER, JsonValues, json_int
from pylon_gql.simnet.runtime import get_runtime

ALICE = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")


def test_large_integers_are_text_small_ones_numbers() -> None:
    assert json_int(MAX_SAFE_INTEGER) == MAX_SAFE_INTEGER
    assert json_int(MAX_SAFE_INTEGER + 1) == str(MAX_SAFE_INTEGER + 1)
    assert json_int(-(2**70)) == str(-(2**70))


def test_an_event_record_as_json() -> None:
    runtime = get_runtime()
    codec = runtime.codec
    events = runtime.entry("System", "Events")
    records = [
        {
            "phase": {"ApplyExtrinsic": 1},
            "event": {
                "System": {
                    "ExtrinsicFailed": {
                        "dispatch_error": {"Module": {"index": 7, "error": b"\x0b\x00\x00\x00"}},
                        "dispatch_info": {
                            "weight": {"ref_time": 2**60, "proof_size": 5},
                            "class": "Normal",
                            "pays_fee": "Yes",
                        },
                    }
                }
            },
            "topics": [],
        },
        {
            "phase": "Finalization",
            "event": {"Balances": {"Transfer": {"from": ALICE, "to": ALICE, "amount": 2**63}}},
            "topics": [bytes(32)],
        },
    ]
    decoded = codec.decode(events.value_type, codec.encode(events.value_type, records))
    converted = JsonValues(codec).convert(events.value_type, decoded)
    failed, transfer = converted
    assert failed["phase"] == {"ApplyExtrinsic": 1}
    assert failed["event"]["System"]["ExtrinsicFailed"] == {
        "dispatch_error": {"Module": {"index": 7, "error": "0x0b000000"}},
        "dispatch_info": {
            "weight": {"ref_time": str(2**60), "proof_size": 5},
            "class": "Normal",
            "pays_fee": "Yes",
        },
    }
    assert transfer["phase"] == "Finalization"
    assert transfer["event"]["Balances"]["Transfer"] == {
        "from": ss58_encode(ALICE, 42),
        "to": ss58_encode(ALICE, 42),
        "amount": str(2**63),
    }
    assert transfer["topics"] == ["0x" + "00" * 32]
