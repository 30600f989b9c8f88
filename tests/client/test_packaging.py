"""The client is its own distribution: no chain stack, no server, one version."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pylon_gql_client
import pytest

CLIENT = Path(__file__).parents[2] / "client"


def test_no_chain_stack_and_no_server_among_the_dependencies() -> None:
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = " ".join(project["dependencies"]).lower()
    for forbidden in ("turbobt", "bittensor", "pylon-gql", "httpx"):
        assert forbidden not in names
    assert "gql[aiohttp,websockets]" in names


def test_importing_the_client_loads_neither() -> None:
    code = (
        "import sys, pylon_gql_client, pylon_gql_client.testing\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('turbobt', 'bittensor', 'pylon_gql', 'httpx')]\n"
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_version_comes_from_one_place() -> None:
    assert importlib.metadata.version("pylon-gql-client") == pylon_gql_client.__version__


@pytest.mark.skipif(shutil.which("uv") is None, reason="building the wheel needs uv")
def test_the_wheel_ships_the_fakes_data_and_the_vectors(tmp_path: Path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(CLIENT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("pylon_gql_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for data in ("sample.json", "admin_calls.json", "vectors.json"):
        assert f"pylon_gql_client/testing/{data}" in names
    assert "pylon_gql_client/rules.py" in names
