"""The keys the server signs with: the validator's hotkey and, for hyperparameters, the subnet
owner's coldkey.

On the simulated chain the server makes dev wallets in the data dir (never on a real network):
`sim-validator` holds //Bob as hotkey and //Charlie as coldkey (the simnet's validator), and
`sim-owner` holds //Alice (the owner of the simnet's subnets). Keys are read lazily: a wallet that
is not there or cannot be unlocked is reported as missing, naming the settings to fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet

from .chain._internals import password_from_env, write_keypair
from .settings import Settings

logger = logging.getLogger(__name__)

DEV_VALIDATOR_WALLET = "sim-validator"
DEV_OWNER_WALLET = "sim-owner"


@dataclass(frozen=True)
class Signer:
    """A wallet and the one key of it the server signs with (`hotkey` or `coldkey`)."""

    wallet: Any
    key: str
    ss58_address: str


@dataclass(frozen=True)
class Signers:
    """What the server can sign; None with `*_missing` saying which settings to set."""

    validator: Signer | None
    validator_missing: str | None
    owner: Signer | None
    owner_missing: str | None


def _write_dev_wallet(path: Path, name: str, hotkey_uri: str, coldkey_uri: str) -> None:
    wallet = Wallet(name, "default", str(path))
    hotkey = Keypair.create_from_uri(hotkey_uri)
    coldkey = Keypair.create_from_uri(coldkey_uri)
    try:  # already there (another server on the same data dir): leave the files alone
        if (
            wallet.hotkey.ss58_address == hotkey.ss58_address
            and wallet.coldkey.ss58_address == coldkey.ss58_address
        ):
            return
    except Exception:
        pass  # missing or unreadable: write it
    write_keypair(wallet, "hotkey", hotkey)
    write_keypair(wallet, "coldkey", coldkey)


def dev_wallet_path(settings: Settings) -> Path:
    return (settings.data_dir / "wallets").expanduser()


def write_dev_wallets(path: Path) -> None:
    """Write the simnet's dev wallets into `path`: `sim-validator` (hotkey //Bob, the simnet's
    validator) and `sim-owner` (coldkey //Alice, its subnets' owner). Their keys are public
    test keys: they are worth something on the simnet only."""
    _write_dev_wallet(path, DEV_VALIDATOR_WALLET, "//Bob", "//Charlie")
    _write_dev_wallet(path, DEV_OWNER_WALLET, "//Alice", "//Alice")


def ensure_dev_wallets(settings: Settings) -> Path:
    """Write the simnet's dev wallets under the data dir (sim only); returns their directory."""
    if not settings.simulated:
        raise ValueError("dev wallets are for the simulated chain only")
    path = dev_wallet_path(settings)
    write_dev_wallets(path)
    return path


class KeyLocked(Exception):
    """An encrypted key without its password in the environment (the server never prompts)."""


def _load(wallet: Wallet, key: str) -> Signer:
    keyfile = wallet.hotkey_file if key == "hotkey" else wallet.coldkey_file
    password = None
    if keyfile.is_encrypted():
        # bittensor's own convention: the password in BT_PW_<path>; a server cannot prompt.
        password = password_from_env(keyfile)
        if password is None:
            raise KeyLocked(
                f"{key} is encrypted: set {keyfile.env_var_name()} to its password, as "
                "bittensor's `Keyfile.save_password_to_env` encodes it"
            )
    keypair = wallet.get_hotkey(password) if key == "hotkey" else wallet.get_coldkey(password)
    return Signer(wallet=wallet, key=key, ss58_address=keypair.ss58_address)


def load_signers(settings: Settings) -> Signers:
    """The validator's hotkey and the owner's coldkey, as the settings name them.

    On `sim` with the wallet settings left at their defaults, the dev wallets are used.
    """
    dev = settings.simulated and "wallet_name" not in settings.model_fields_set
    if dev:
        path = ensure_dev_wallets(settings)
        validator_wallet = Wallet(DEV_VALIDATOR_WALLET, "default", str(path))
    else:
        validator_wallet = Wallet(
            settings.wallet_name, settings.wallet_hotkey, str(settings.wallet_path.expanduser())
        )
    validator: Signer | None = None
    validator_missing: str | None = None
    try:
        validator = _load(validator_wallet, "hotkey")
    except Exception as exc:  # a missing file, a locked key: a setting to fix, not a crash
        validator_missing = (
            f"no validator hotkey ({_why(exc)}): set PYLON_WALLET_NAME, "
            "PYLON_WALLET_HOTKEY and PYLON_WALLET_PATH to a wallet whose hotkey is readable"
        )

    owner: Signer | None = None
    owner_missing: str | None = None
    owner_name = settings.owner_wallet_name
    owner_path = settings.owner_wallet_path or settings.wallet_path
    if owner_name is None and settings.simulated:
        owner_name, owner_path = DEV_OWNER_WALLET, ensure_dev_wallets(settings)
    if owner_name is None:
        owner_missing = (
            "no subnet owner coldkey: set PYLON_OWNER_WALLET_NAME (and PYLON_OWNER_WALLET_PATH) "
            "to the wallet whose coldkey owns the subnet"
        )
    else:
        try:
            owner = _load(Wallet(owner_name, "default", str(owner_path.expanduser())), "coldkey")
        except Exception as exc:
            owner_missing = (
                f"the owner wallet {owner_name!r} has no readable coldkey "
                f"({_why(exc)}): check PYLON_OWNER_WALLET_NAME and PYLON_OWNER_WALLET_PATH"
            )
    return Signers(validator, validator_missing, owner, owner_missing)


def _why(exc: Exception) -> str:
    # KeyLocked names the variable to set; other messages may hold paths, not secrets.
    return str(exc) if isinstance(exc, KeyLocked) else type(exc).__name__
