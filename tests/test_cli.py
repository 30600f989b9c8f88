"""`pylon-gql migrate` on a fresh data dir, then again; `pylon-gql serve` refusing settings it
cannot start with."""

from __future__ import annotations

import importlib.util
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pylon_gql import __version__
from pylon_gql.cli import main

MIGRATIONS = Path(__file__).parents[1] / "migrations" / "models"


def test_migrate_makes_the_database_then_has_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    env = {"PYLON_DATA_DIR": str(tmp_path / "data"), "PYLON_NETWORK": "finney"}
    first = CliRunner().invoke(main, ["migrate"], env=env)
    assert first.exit_code == 0, first.output
    shipped = sorted(p.name for p in MIGRATIONS.glob("*.py") if not p.name.startswith("_"))
    assert f"applied {len(shipped)} migration(s): {', '.join(shipped)}" in first.output
    database = tmp_path / "data" / "pylon-finney.sqlite3"  # a file per network
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"weight", "weight_commit", "aerich"} <= tables
    again = CliRunner().invoke(main, ["migrate"], env=env)
    assert again.exit_code == 0 and "up to date" in again.output


# --- `pylon-gql serve` with a setting it cannot start with: exit 2 and one line naming it

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))


def _a_file(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("not a directory")
    return str(tmp_path / "a-file")


#: (variable, its value (or a function of the test's directory), what the line must say).
#: The chain's cases (`sim` has no subnet 999; subnet 1's epochs are shorter than 400 blocks)
#: start the embedded node, at log level ERROR: the start logs what it does before the check.
REFUSED: list[tuple[str, str | Callable[[Path], str], str]] = [
    ("DATA_DIR", _a_file, "is a file: name a directory"),
    ("DATA_DIR", lambda _: "/proc/pylon-data", "not a directory the server can write to"),
    ("DATABASE_URL", lambda _: "garbage", "not a database URL"),
    (
        "DATABASE_URL",
        lambda _: "postgres://pylon:secret@127.0.0.1/pylon",
        # Without asyncpg, how to get it; with it, that nothing answers there (port 5432 of
        # this machine: no server, or one that refuses this user).
        "pip install 'pylon-gql[postgres]'"
        if importlib.util.find_spec("asyncpg") is None
        else "cannot open the database postgres://***@127.0.0.1/pylon",
    ),
    ("CHAIN_TIMEOUT", lambda _: "inf", "finite number"),
    ("CHAIN_TIMEOUT", lambda _: "nan", "finite number"),
    ("CHAIN_TIMEOUT", lambda _: "0", "greater than 0"),
    ("CHAIN_TIMEOUT", lambda _: "-5", "greater than 0"),
    ("COMMIT_RETRY_MAX_BACKOFF", lambda _: "1", "below PYLON_COMMIT_RETRY_MIN_BACKOFF (2 s)"),
    ("COMMIT_RETRY_MIN_BACKOFF", lambda _: "100", "above PYLON_COMMIT_RETRY_MAX_BACKOFF (60 s)"),
    ("HEALTH_MAX_HEAD_AGE", lambda _: "5", "not longer than a simulated block"),
    ("SIM_BLOCK_TIME", lambda _: "300", "not shorter than PYLON_HEALTH_MAX_HEAD_AGE (120 s)"),
    ("LOG_LEVEL", lambda _: "verbose", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ("LOG_FORMAT", lambda _: "xml", "'text' or 'json'"),
    ("ARCHIVE_NETWORK", lambda _: "sim", "cannot be `sim`"),
    ("NETWORK", lambda _: "mainnet", "use one of sim, finney, test, archive, local"),
    ("DATABASE_URL", lambda _: "sqlite:///proc/pylon/db.sqlite3", "/proc/pylon is not a dir"),
    ("PORT", lambda _: "busy", "choose a free port, or 0 for any"),
    ("HOST", lambda _: "192.0.2.1", "use an address of this machine"),  # TEST-NET-1: none's
    ("NETUID", lambda _: "999", "subnet 999 does not exist"),
    ("COMMIT_WINDOW_START_OFFSET", lambda _: "400", "opens the commit window after it closes"),
]
_CHAIN_CASES = {"NETUID", "COMMIT_WINDOW_START_OFFSET"}


@pytest.mark.parametrize(
    ("variable", "value", "says"), REFUSED, ids=[f"{v}-{i}" for i, (v, _, _) in enumerate(REFUSED)]
)
def test_serve_refuses_an_impossible_setting_in_one_line(
    tmp_path: Path, variable: str, value: Callable[[Path], str], says: str
) -> None:
    env = {key: v for key, v in os.environ.items() if not key.startswith("PYLON_")}
    env |= {"PYLON_PORT": "0", "PYLON_DATA_DIR": str(tmp_path / "data")}
    if variable in _CHAIN_CASES:
        env["PYLON_LOG_LEVEL"] = "ERROR"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = str(holder.getsockname()[1])
        given = value(tmp_path)
        env[f"PYLON_{variable}"] = busy if given == "busy" else given
        done = subprocess.run(
            [PYLON_GQL, "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90
        )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 2, output
    # One line, and nothing before it: the local checks come before any slow start-up.
    assert output.splitlines() == [output], output
    assert output.startswith(f"invalid setting: PYLON_{variable}: "), output
    assert says in output
    assert "secret" not in output  # a database URL's password is never echoed


# --- `--help` and `--version` answer without loading the server

#: Packages of the server stack: seconds to import (bittensor alone takes most of it).
SERVER_STACK = ("bittensor", "turbobt", "strawberry", "uvicorn", "pydantic", "tortoise")


@pytest.mark.parametrize("arguments", [["--version"], ["--help"], ["serve", "--help"]])
def test_help_and_version_import_no_server_package(arguments: list[str]) -> None:
    program = (
        "import sys\n"
        "from pylon_gql.cli import main\n"
        f"try:\n    main({arguments!r})\nexcept SystemExit as exit:\n    assert not exit.code\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SERVER_STACK!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    *shown, imported = done.stdout.strip().splitlines()
    assert imported == "[]", done.stdout
    if arguments == ["--version"]:
        assert shown == [f"pylon-gql, version {__version__}"]
    elif arguments == ["--help"]:
        # Every command listed, the simnet's (imported only when it runs) included.
        listed = {line.split()[0] for line in shown if line.startswith("  ") and line.strip()}
        assert {"serve", "simnet", "migrate", "export-schema"} <= listed, done.stdout


def test_a_busy_port_is_refused_before_the_chain_stack_loads(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        program = (
            "import sys\n"
            "from pylon_gql.cli import main\n"
            "try:\n    main(['serve'])\nexcept SystemExit as exit:\n    print('exit', exit.code)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'bittensor', 'turbobt', 'strawberry', 'uvicorn', 'tortoise'}))\n"
        )
        env = {key: v for key, v in os.environ.items() if not key.startswith("PYLON_")}
        env |= {"PYLON_PORT": str(busy), "PYLON_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [sys.executable, "-c", program],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.stdout.splitlines() == ["exit 2", "[]"], done.stdout + done.stderr
    assert done.stderr.startswith("invalid setting: PYLON_PORT: cannot listen on")


def test_dev_wallets_let_a_server_on_a_simnet_by_url_sign_as_its_validator(
    tmp_path: Path,
) -> None:
    from pylon_gql.keys import load_signers
    from pylon_gql.settings import Settings

    result = CliRunner().invoke(main, ["dev-wallets", str(tmp_path / "wallets")])
    assert result.exit_code == 0, result.output
    # What it prints is what to set: a server on ws://... (not `sim`) then signs as //Bob.
    assignments = dict(
        word.split("=", 1) for line in result.output.splitlines()[1:] for word in line.split()
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        network="ws://127.0.0.1:9944",
        data_dir=tmp_path / "data",
        **{name.removeprefix("PYLON_").lower(): value for name, value in assignments.items()},
    )
    signers = load_signers(settings)
    assert signers.validator is not None, signers.validator_missing
    assert signers.validator.ss58_address == "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    assert signers.owner is not None, signers.owner_missing
    assert signers.owner.ss58_address == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
