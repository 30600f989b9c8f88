"""The keys the server signs with: dev wallets on sim, named wallets elsewhere, never a prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet

from pylon_gql.chain._internals import write_keypair
from pylon_gql.keys import load_signers
from pylon_gql.settings import Settings

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_sim_makes_dev_wallets_once(tmp_path: Path) -> None:
    signers = load_signers(settings(network="sim", data_dir=tmp_path))
    assert signers.validator is not None and signers.validator.ss58_address == BOB
    assert signers.owner is not None and signers.owner.ss58_address == ALICE
    hotkey_file = tmp_path / "wallets" / "sim-validator" / "hotkeys" / "default"
    written = hotkey_file.stat().st_mtime_ns
    again = load_signers(settings(network="sim", data_dir=tmp_path))
    assert again.validator is not None and again.validator.ss58_address == BOB
    assert hotkey_file.stat().st_mtime_ns == written  # left alone


def test_a_real_network_names_what_is_missing(tmp_path: Path) -> None:
    signers = load_signers(settings(network="finney", wallet_path=tmp_path, wallet_name="nope"))
    assert signers.validator is None and "PYLON_WALLET_NAME" in (signers.validator_missing or "")
    assert signers.owner is None and "PYLON_OWNER_WALLET_NAME" in (signers.owner_missing or "")
    assert not (tmp_path / "nope").exists()  # nothing made outside sim


def test_an_encrypted_coldkey_without_its_password_is_reported_not_prompted(
    tmp_path: Path,
) -> None:
    wallet = Wallet("owner", "default", str(tmp_path))
    alice = Keypair.create_from_uri("//Alice")
    write_keypair(wallet, "coldkey", alice, password="a password")
    values = {"network": "finney", "wallet_path": tmp_path, "owner_wallet_name": "owner"}
    signers = load_signers(settings(**values))
    assert signers.owner is None
    assert wallet.coldkey_file.env_var_name() in (signers.owner_missing or "")
    assert "a password" not in (signers.owner_missing or "")
