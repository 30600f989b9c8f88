"""Who is asking: roles from bearer tokens.

Tokens are configured per role (`PYLON_VALIDATOR_TOKENS`, `PYLON_OWNER_TOKENS`). The server keeps
only their SHA-256 digests and compares digests in constant time, every configured one each
time, so neither the tokens nor which of them matched can be learned from memory dumps, logs or
timing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

from pydantic import SecretStr

from .settings import Settings


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
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


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
