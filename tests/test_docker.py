"""The Docker image's recipe, read as docker reads it (no daemon needed): the HEALTHCHECK asks
the port the container is configured with, the build context leaves out the virtualenv, git
and caches, the dependencies install in a layer of their own before the code, and the image
serves without the dev tools.

The healthcheck script is run for real, against the app served by uvicorn on a free port.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

from tests.e2e.conftest import free_port, running, settings_for
from tests.http.test_app import FakeChain

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "pyright", "ruff")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined, comments out."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        found.append((keyword.upper(), arguments.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def copied_to(destination: str) -> str:
    """The build-context source of the COPY that writes `destination`."""
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            *sources, target = arguments.split()
            if target == destination:
                assert len(sources) == 1
                return sources[0]
    raise AssertionError(f"no COPY to {destination}")


def healthcheck_command() -> list[str]:
    [healthcheck] = [arguments for keyword, arguments in instructions() if keyword == "HEALTHCHECK"]
    _, _, command = healthcheck.partition(" CMD ")
    return json.loads(command)  # the exec form: no shell between docker and the check


async def run_healthcheck(env: dict[str, str]) -> tuple[int, str]:
    """The HEALTHCHECK's command as the container runs it, with `env` as its environment."""
    program, script = healthcheck_command()
    assert program == "python"
    source = ROOT / copied_to(script)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(source),
        env={"PATH": os.environ.get("PATH", ""), **env},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_the_healthcheck_asks_the_configured_port() -> None:
    assert "8000" not in " ".join(healthcheck_command())  # no port written into the check
    chain = FakeChain()
    async with (
        running(settings_for(), chain) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        port = url.rsplit(":", 1)[1]
        container = {"PYLON_HOST": "0.0.0.0", "PYLON_PORT": port}
        assert (await client.get("/health")).status_code == 503  # no head yet
        assert (await run_healthcheck(container))[0] == 1

        chain.reader.head_number, chain.age = 1010, 2.0
        assert (await client.get("/health")).status_code == 200
        assert await run_healthcheck(container) == (0, "")

        elsewhere = {**container, "PYLON_PORT": str(free_port())}
        code, said = await run_healthcheck(elsewhere)
        assert code == 1 and elsewhere["PYLON_PORT"] in said


async def test_the_healthcheck_names_an_allowed_host() -> None:
    # A server that answers only its public name refuses a Host of 127.0.0.1 (400).
    chain = FakeChain()
    chain.reader.head_number, chain.age = 1010, 2.0
    settings = settings_for(allowed_hosts="pylon.example.org,*.example.org")
    async with running(settings, chain) as url:
        container = {"PYLON_PORT": url.rsplit(":", 1)[1], "PYLON_HOST": "0.0.0.0"}
        assert (await run_healthcheck(container))[0] == 1  # without the setting: refused
        allowed = {**container, "PYLON_ALLOWED_HOSTS": "*.example.org, pylon.example.org"}
        assert await run_healthcheck(allowed) == (0, "")


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether `path` (relative, `/`-separated) is left out of the build context (the
    .dockerignore rules this file uses: globs, `**/` prefixes, a trailing `/`; no `!`)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], bare):
                return True
    return False


def test_the_build_context_leaves_out_the_virtualenv_git_caches_and_data() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns)  # `ignored` does not read exceptions
    for path in (
        ".venv/lib/python3.11/site-packages/x.py",
        ".git/HEAD",
        "pylon_gql/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v/cache/nodeids",
        ".ruff_cache/0.17/1",
        ".hypothesis/examples/x",
        "data/weights.sqlite3",
        "weights.sqlite3-wal",
        ".env",
        "tests/test_docker.py",
        "pylon_gql/graphiql/static/graphiql.min.js",
    ):
        assert ignored(path, patterns), path
    # ... and keeps what the Dockerfile copies.
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            for source in arguments.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert not ignored(source, patterns), source
    for kept in ("pylon_gql/cli.py", "migrations/models", "README.md", "pyproject.toml"):
        assert not ignored(kept, patterns), kept


def test_dependencies_install_in_their_own_layer_before_the_code(tmp_path: Path) -> None:
    steps = final_stage()
    keywords = [f"{keyword} {arguments}" for keyword, arguments in steps]
    install = next(i for i, step in enumerate(keywords) if "pip install -r requirements" in step)
    code = next(i for i, step in enumerate(keywords) if step.startswith("COPY pylon_gql"))
    package = next(i for i, step in enumerate(keywords) if "pip install --no-deps" in step)
    assert install < code < package
    # Only the dependency list reaches the install layer: it is made in a stage of its own, so
    # a change elsewhere in pyproject.toml (the version, a tool's table) keeps the layer.
    assert not any(s.startswith("COPY pyproject.toml") for s in keywords[:install])
    assert any(s.startswith("COPY --from=requirements") for s in keywords[:install])

    # The requirements stage's command, run as docker runs a RUN (sh -c), on this pyproject.
    stage = instructions()[: len(instructions()) - len(steps)]
    [command] = [arguments for keyword, arguments in stage if keyword == "RUN"]
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    python_dir = str(Path(sys.executable).parent)
    subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=tmp_path,
        check=True,
        env={"PATH": f"{python_dir}:{os.environ.get('PATH', '')}"},
    )
    requirements = (tmp_path / "requirements.txt").read_text().splitlines()
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    # The server's and every extra's: replicas need asyncpg and redis in the same image.
    extras = [d for group in project["optional-dependencies"].values() for d in group]
    assert requirements == project["dependencies"] + extras
    assert any(d.startswith("asyncpg") or "[asyncpg]" in d for d in requirements)


def test_build_steps_run_the_installed_package() -> None:
    # The source is copied into the WORKDIR, which `python -m` puts first on sys.path: without
    # -P a step would run (and write beside) the source, not the package the server imports.
    steps = final_stage()
    code = next(i for i, (k, a) in enumerate(steps) if k == "COPY" and a.startswith("pylon_gql"))
    for keyword, arguments in steps[code:]:
        if keyword == "RUN" and "-m pylon_gql" in arguments:
            assert "python -P -m pylon_gql" in arguments, arguments


def test_the_image_serves_without_the_dev_tools() -> None:
    steps = final_stage()
    assert steps[-1] == ("CMD", '["pylon-gql", "serve"]')
    run_lines = " ".join(arguments for keyword, arguments in steps if keyword == "RUN")
    for tool in DEV_TOOLS:
        assert tool not in run_lines
    assert "--group" not in run_lines and "uv sync" not in run_lines
    pip_installs = [shlex.split(a) for k, a in steps if k == "RUN" and "pip install" in a]
    assert pip_installs and all("-e" not in words for words in pip_installs)
