"""`pylon-gql migrate` on a fresh data dir, then again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pylon_gql.cli import main


def test_migrate_makes_the_database_then_has_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    env = {"PYLON_DATA_DIR": str(tmp_path / "data"), "PYLON_NETWORK": "finney"}
    first = CliRunner().invoke(main, ["migrate"], env=env)
    assert first.exit_code == 0, first.output
    assert "applied 1 migration(s)" in first.output
    database = tmp_path / "data" / "pylon-finney.sqlite3"  # a file per network
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"weight", "weight_commit", "aerich"} <= tables
    again = CliRunner().invoke(main, ["migrate"], env=env)
    assert again.exit_code == 0 and "up to date" in again.output
