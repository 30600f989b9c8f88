"""The dev keys the simnet announces are the keys of their URIs."""

from __future__ import annotations

from bittensor.keyfiles import Keypair

from pylon_gql.simnet import Simnet


def test_dev_keys_are_the_uris_keys():
    keys = Simnet().dev_keys
    assert set(keys) == {"owner_coldkey", "owner_hotkey", "validator_hotkey", "validator_coldkey"}
    for uri, address in keys.values():
        assert Keypair.create_from_uri(uri).ss58_address == address
    assert keys["owner_coldkey"][0] == keys["owner_hotkey"][0] == "//Alice"
    assert keys["validator_hotkey"][0] == "//Bob"
    assert keys["validator_coldkey"][0] == "//Charlie"
