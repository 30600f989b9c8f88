"""Roles from bearer tokens: configured as tokens or digests, never shown back."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from pylon_gql.auth import Authenticator, Role, bearer_token
from pylon_gql.settings import Settings, describe_errors


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_tokens_grant_their_roles_and_nothing_else() -> None:
    digest = hashlib.sha256(b"owner-secret").hexdigest()
    auth = Authenticator(settings(validator_tokens="v-one, v-two", owner_tokens=f"sha256:{digest}"))
    assert auth.roles_for("v-one") == {Role.VALIDATOR}
    assert auth.roles_for("v-two") == {Role.VALIDATOR}
    assert auth.roles_for("owner-secret") == {Role.OWNER}
    assert auth.roles_for("v-one ") == frozenset()
    assert auth.roles_for("nope") == frozenset()
    assert auth.roles_for(None) == frozenset()
    assert auth.configured_roles == {Role.VALIDATOR, Role.OWNER}


def test_one_token_may_hold_both_roles() -> None:
    auth = Authenticator(settings(validator_tokens="shared", owner_tokens="shared"))
    assert auth.roles_for("shared") == {Role.VALIDATOR, Role.OWNER}


def test_no_tokens_configured_grants_nothing() -> None:
    auth = Authenticator(settings())
    assert auth.configured_roles == frozenset()
    assert auth.roles_for("") == frozenset()
    assert auth.roles_for("anything") == frozenset()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer   ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_a_malformed_digest_is_refused_without_echoing_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(owner_tokens="sha256:not-hex-secret-value")
    lines = describe_errors(caught.value)
    assert lines == ["PYLON_OWNER_TOKENS: a `sha256:` entry must be followed by 64 hex digits"]
    assert "secret-value" not in str(lines)


def test_tokens_do_not_appear_in_the_settings_repr() -> None:
    configured = settings(validator_tokens="very-secret-token")
    assert "very-secret-token" not in repr(configured)
    assert "very-secret-token" not in str(configured.model_dump())
