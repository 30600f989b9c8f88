"""compose.yaml, read as docker compose reads it (no daemon here): every replica's settings are
ones the server accepts, the replicas have their own names and share one database and one Redis,
and the commands the services run are real ones. tests/e2e/test_replicas.py runs the same
topology as processes on this machine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from pylon_gql.cli import main
from pylon_gql.keys import DEV_OWNER_WALLET, DEV_VALIDATOR_WALLET
from pylon_gql.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # resolves the `<<` merges


def interpolated(value: str) -> str:
    # ${NAME:?message} must be given by whoever runs compose: a token here.
    return re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "a-token", value)


def replicas() -> dict[str, dict[str, str]]:
    services = compose()["services"]
    return {
        name: {key: interpolated(str(value)) for key, value in service["environment"].items()}
        for name, service in services.items()
        if name.startswith("replica")
    }


def test_each_replica_has_settings_the_server_accepts(tmp_path: Path) -> None:
    found = replicas()
    assert len(found) == 2
    for environment in found.values():
        names = {key.removeprefix("PYLON_").lower(): value for key, value in environment.items()}
        unknown = set(names) - set(Settings.model_fields)
        assert not unknown, f"compose.yaml sets variables the server does not read: {unknown}"
        settings = Settings(_env_file=None, data_dir=tmp_path, **names)  # type: ignore[call-arg]
        assert settings.resolved_database_url().startswith("postgres://")
        assert settings.redis_url is not None
        assert not settings.simulated  # the simnet is another container, reached by URL
        assert settings.wallet_name == DEV_VALIDATOR_WALLET
        assert settings.owner_wallet_name == DEV_OWNER_WALLET


def test_replicas_share_the_database_and_redis_under_their_own_names() -> None:
    a, b = replicas().values()
    assert a["PYLON_REPLICA_ID"] != b["PYLON_REPLICA_ID"]
    for shared in ("PYLON_DATABASE_URL", "PYLON_REDIS_URL", "PYLON_NETWORK", "PYLON_NETUID"):
        assert a[shared] == b[shared], shared


def test_the_services_run_real_commands() -> None:
    services = compose()["services"]
    simnet = services["simnet"]["command"]
    assert simnet[:2] == ["pylon-gql", "simnet"]
    parsed = CliRunner().invoke(main, [*simnet[1:], "--help"])
    assert parsed.exit_code == 0, parsed.output  # the options exist (--help after them)
    script = services["wallets"]["command"][-1]
    assert "pylon-gql dev-wallets /wallets" in script
    assert services["wallets"]["volumes"] == ["wallets:/wallets"]
    network = {r["PYLON_NETWORK"] for r in replicas().values()}
    assert network == {"ws://simnet:9944"} and "9944" in simnet
