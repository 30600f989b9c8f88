"""Who is asking: roles from bearer tokens.

Tokens are configured per role (`PYLON_VALIDATOR_TOKENS`, `PYLON_OWNER_TOKENS`). The server keeps
only their SHA-256 digests and compares digests in constant time, every configured one each
time, so neither the tokens nor which of them matched can be learned from memory dumps, logs or
timing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr

from .settings import Settings

logger = logging.getLogger(__name__)

#: Where the simulated chain's dev tokens are kept, in the data dir (mode 0600).
DEV_TOKENS_FILE = "dev-tokens.json"


class Role(StrEnum):
    #: The validator's own service: writes and commits its weights, sets its commitment.
    VALIDATOR = "validator"
    #: The subnet owner: sets hyperparameters.
    OWNER = "owner"
    #: May read, when reads are closed (`PYLON_READER_TOKENS` set); every role may read.
    READER = "reader"


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _digests(configured: SecretStr | None) -> tuple[bytes, ...]:
    if configured is None:
        return ()
    digests = []
    for entry in configured.get_secret_value().split(","):
        entry = entry.strip()
        if entry.startswith("sha256:"):
            digests.append(bytes.fromhex(entry.removeprefix("sha256:")))
        else:
            digests.append(token_digest(entry))
    return tuple(digests)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None.

    A doubled prefix (`Bearer Bearer <token>`: a token pasted with its prefix into a client
    that adds one) counts as the token it carries: no token starts with `Bearer `.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token = token.strip()
    again, _, inner = token.partition(" ")
    if again.lower() == "bearer" and inner.strip():
        return inner.strip()
    return token


class Authenticator:
    """Maps a presented token to the roles it grants (none for no token or an unknown one)."""

    def __init__(self, settings: Settings, extra: Mapping[Role, str] | None = None) -> None:
        """`extra`: one more token per role (the dev tokens the server makes for `sim`)."""
        self._by_role: dict[Role, tuple[bytes, ...]] = {
            Role.VALIDATOR: _digests(settings.validator_tokens),
            Role.OWNER: _digests(settings.owner_tokens),
            Role.READER: _digests(settings.reader_tokens),
        }
        for role, token in (extra or {}).items():
            self._by_role[role] = (*self._by_role[role], token_digest(token))

    @property
    def reads_open(self) -> bool:
        """Anyone may read unless reader tokens are configured."""
        return not self._by_role[Role.READER]

    @property
    def configured_roles(self) -> frozenset[Role]:
        return frozenset(role for role, digests in self._by_role.items() if digests)

    def roles_for(self, token: str | None) -> frozenset[Role]:
        if token is None:
            return frozenset()
        presented = token_digest(token)
        roles = set()
        for role, digests in self._by_role.items():
            matched = False
            for digest in digests:
                # No early exit: the time taken does not depend on which digest matched.
                matched |= hmac.compare_digest(presented, digest)
            if matched:
                roles.add(role)
        return frozenset(roles)


def dev_tokens(settings: Settings) -> dict[Role, str]:
    """On the simulated chain with no write tokens configured: a validator and an owner token,
    so the quick start can try the mutations (never on a real network). Kept in the data dir
    (`dev-tokens.json`, readable by its owner only), so a restart on the same data dir keeps
    them; a new data dir gets new ones."""
    if not settings.simulated or settings.validator_tokens or settings.owner_tokens:
        return {}
    path = settings.data_dir.expanduser() / DEV_TOKENS_FILE
    kept = _read_dev_tokens(path)
    if kept is not None:
        return kept
    tokens = {
        Role.VALIDATOR: f"dev-validator-{secrets.token_urlsafe(12)}",
        Role.OWNER: f"dev-owner-{secrets.token_urlsafe(12)}",
    }
    _write_dev_tokens(path, tokens)
    # Another server on the same data dir may have written its own first: use the file's.
    return _read_dev_tokens(path) or tokens


def _read_dev_tokens(path: Path) -> dict[Role, str] | None:
    try:
        stored = json.loads(path.read_text())
        tokens = {role: stored[role.value] for role in (Role.VALIDATOR, Role.OWNER)}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("%s is unreadable (%s): making new dev tokens", path, type(error).__name__)
        return None
    if not all(isinstance(token, str) and token.strip() for token in tokens.values()):
        logger.warning("%s holds no dev tokens: making new ones", path)
        return None
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # tokens: its owner's only
    return tokens


def _write_dev_tokens(path: Path, tokens: Mapping[Role, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({role.value: token for role, token in tokens.items()}, indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    # Made 0600 from the start (no moment readable by others), then moved into place.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(body)
    os.replace(temporary, path)
