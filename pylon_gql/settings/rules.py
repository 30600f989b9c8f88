"""The rules one setting's value must follow by itself, each a function from the value to the
value (normalised) or a `ValueError` that says what would be valid. `Settings` applies them to
its fields; the combinations and what needs the machine or the chain are checked elsewhere
(`Settings`' model validators, pylon_gql/startup_checks.py)."""

from __future__ import annotations

import re

from limits import parse_many
from pydantic import SecretStr

#: Named networks and the node each one means; `sim` starts the embedded simulated node.
NETWORK_URLS: dict[str, str] = {
    "finney": "wss://entrypoint-finney.opentensor.ai:443",
    "test": "wss://test.finney.opentensor.ai:443",
    "archive": "wss://archive.chain.opentensor.ai:443",
    "local": "ws://127.0.0.1:9944",
}

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_METRIC_NAME = re.compile(r"\s*[_A-Za-z][_0-9A-Za-z]{0,63}\s*")


def known_network(value: str | None) -> str | None:
    if value is None or value == "sim" or value in NETWORK_URLS:
        return value
    if value.startswith(("ws://", "wss://")):
        return value
    names = ", ".join(["sim", *NETWORK_URLS])
    raise ValueError(f"unknown network {value!r}: use one of {names}, or a ws(s):// URL")


def host_list(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            raise ValueError("empty host in the list: separate hosts with single commas")
        if "*" in entry[1:] or (entry.startswith("*") and entry != "*" and entry[1] != "."):
            raise ValueError(f"{entry!r}: a wildcard is `*` or `*.example.com`")
        if ":" in entry and not (entry.startswith("[") and entry.endswith("]")):
            raise ValueError(
                f"{entry!r}: a host name or address without a port (IPv6 in brackets, `[::1]`)"
            )
    return value


def token_list(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    for entry in value.get_secret_value().split(","):
        entry = entry.strip()
        if not entry:
            raise ValueError("empty token in the list: separate tokens with single commas")
        if entry.startswith("sha256:") and not _SHA256_HEX.fullmatch(entry[7:]):
            # Never echo the value: it may be a secret.
            raise ValueError("a `sha256:` entry must be followed by 64 hex digits")
    return value


def rate_limit(value: str) -> str:
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            "not a rate limit: write e.g. `60/minute` or `10/second;300/minute`"
        ) from None
    return value


def netuid_list(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    for entry in value.split(","):
        entry = entry.strip()
        if not entry.isdigit() or int(entry) > 65535:
            raise ValueError(
                f"{entry!r} is not a subnet number: give netuids 0-65535 separated by commas "
                "(`1,2,64`)"
            )
    return value


def operation_names(value: str) -> str:
    names = [name for name in value.split(",") if name.strip()]
    bad = [name for name in names if not _METRIC_NAME.fullmatch(name)]
    if bad:
        raise ValueError(
            f"not an operation name: {', '.join(bad[:3])} (a GraphQL name of at most 64 "
            "characters: letters, digits, `_`, not starting with a digit)"
        )
    return value


def redis_url(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().startswith(
        ("redis://", "rediss://", "unix://")
    ):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return value


def upper_case(value: object) -> object:
    """A name given in any case (`info`, `Info`) as the upper-case one the field lists."""
    return value.strip().upper() if isinstance(value, str) else value


def lower_case(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value
