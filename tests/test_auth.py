"""Roles from bearer tokens: configured as tokens or digests, never shown back."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from pylon_gql.auth import DEV_TOKENS_FILE, Authenticator, Role, bearer_token, dev_tokens
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
        # a token pasted with its prefix into a client that adds one
        ("Bearer Bearer abc", "abc"),
        ("Bearer bearer  abc", "abc"),
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


def test_dev_tokens_stay_the_same_per_data_dir_readable_by_its_owner_only(tmp_path: Path) -> None:
    sim = settings(network="sim", data_dir=tmp_path / "one")
    first = dev_tokens(sim)
    assert set(first) == {Role.VALIDATOR, Role.OWNER}
    assert dev_tokens(sim) == first  # a restart on the same data dir
    path = tmp_path / "one" / DEV_TOKENS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {role.value: token for role, token in first.items()}
    other = dev_tokens(settings(network="sim", data_dir=tmp_path / "two"))
    assert set(other.values()).isdisjoint(first.values())  # another data dir, other tokens


def test_unreadable_dev_tokens_are_replaced_and_none_are_made_off_sim(tmp_path: Path) -> None:
    path = tmp_path / DEV_TOKENS_FILE
    path.write_text("{not json")
    path.chmod(0o644)
    made = dev_tokens(settings(network="sim", data_dir=tmp_path))
    assert made and dev_tokens(settings(network="sim", data_dir=tmp_path)) == made
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # configured tokens, or a real network: no dev tokens, and no file written
    assert dev_tokens(settings(network="sim", data_dir=tmp_path / "x", validator_tokens="v")) == {}
    assert dev_tokens(settings(network="finney", data_dir=tmp_path / "y")) == {}
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
