"""What `uv run pylon-gql serve` installs: the server's dependencies, not the dev tools; and the
commands that do need them (CI's, the README's test command) ask for them."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "pyright", "ruff")


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def names(requirements: list[Any]) -> set[str]:
    """Distribution names of PEP 508 strings (an `{include-group = ...}` table is skipped)."""
    found = set()
    for requirement in requirements:
        if isinstance(requirement, str):
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            assert match is not None, requirement
            found.add(match.group().lower().replace("_", "-"))
    return found


def test_the_default_install_has_no_dev_tools() -> None:
    project = pyproject()
    groups = project.get("dependency-groups", {})
    # uv installs the `dev` group by default unless `default-groups` says otherwise.
    default_groups = project.get("tool", {}).get("uv", {}).get("default-groups", ["dev"])
    if default_groups == "all":
        default_groups = list(groups)
    installed = names(project["project"]["dependencies"])
    for group in default_groups:
        installed |= names(groups[group])
    assert not installed & set(DEV_TOOLS), default_groups
    # The tools are still there for those who ask for them.
    assert set(DEV_TOOLS) <= names(groups["dev"])


def test_ci_and_the_readme_ask_for_the_dev_tools() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    syncs = [line for line in ci.splitlines() if line.strip().startswith("uv sync")]
    assert syncs and all("--group dev" in line or "--all-groups" in line for line in syncs)

    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick_start.splitlines() if "uv run" in line]
    serve = [line for line in commands if "pylon-gql serve" in line]
    tests = [line for line in commands if "pytest" in line]
    assert serve and all("--group" not in line for line in serve)
    assert tests and all("--group dev" in line for line in tests)
    # CI runs the README's test command itself (its `uv run ...` part), after installing.
    (test,) = tests
    command = "uv run" + test.split("uv run", 1)[1].split("#", 1)[0].rstrip()
    assert command in ci.splitlines(), command
    assert ci.index("uv sync") < ci.index(command)


@pytest.mark.skipif(
    shutil.which("uv") is None or not (ROOT / "uv.lock").exists(),
    reason="needs uv and the lock that `uv sync` writes (CI's first step)",
)
def test_uv_resolves_the_default_install_without_dev_tools() -> None:
    """What uv itself would install for `uv run` (the lock, as pyproject's groups select)."""
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    installed = {
        re.split(r"[=<>~! ;\[]", line, maxsplit=1)[0].lower()
        for line in exported.splitlines()
        if line and not line.startswith(("#", " ", "-e", "./"))
    }
    assert "strawberry-graphql" in installed and "uvicorn" in installed
    assert not installed & {*DEV_TOOLS, "pytest-asyncio", "hypothesis"}
    with_dev = subprocess.run(
        ["uv", "export", "--frozen", "--no-hashes", "--group", "dev"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert re.search(r"^pytest==", with_dev, re.MULTILINE)
