"""The client is its own distribution: no chain stack, no server, one version."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import pylon_gql_client

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
