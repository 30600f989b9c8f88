"""Session-wide test plumbing: a quiet machine for the tests that measure latency, and the
attack corpus's table in the terminal summary.

The suite runs its test files in parallel (pytest-xdist, `-n 4` in pyproject.toml): it waits on
servers and blocks far more than it computes. A test marked `quiet_machine` measures how fast
the server answers while it is attacked, which means nothing while three other workers load the
same cores; it runs alone: it waits until the tests running in other workers end, and none
starts until it has ended.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# A real PostgreSQL server and a fresh database per test (`database_url`: SQLite, then Postgres).
from tests.postgres import database_url, module_database_url, postgres_server, postgres_url

# A real redis-server: CI's (`redis_url`) or the test's own (`redis_server`), a channel per test.
from tests.redis import channel, redis_server, redis_url

__all__ = [
    "channel",
    "database_url",
    "module_database_url",
    "postgres_server",
    "postgres_url",
    "redis_server",
    "redis_url",
]

QUIET_MACHINE = "quiet_machine"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{QUIET_MACHINE}: runs while no other test runs (it measures latency under attack)",
    )


@contextlib.contextmanager
def _flock(path: Path, operation: int) -> Iterator[None]:
    with path.open("a") as file:
        fcntl.flock(file, operation)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _lock_directory(controller_pid: int) -> Path:
    """The lock files of one run: the workers' parent is the controlling pytest."""
    return Path(tempfile.gettempdir()) / f"pylon-gql-tests-{controller_pid}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # the controller, once the workers end
        shutil.rmtree(_lock_directory(os.getpid()), ignore_errors=True)


@contextlib.contextmanager
def _machine_share(exclusive: bool) -> Iterator[None]:
    """A readers-writer lock across the xdist workers (one test = one reader; a quiet test is
    the writer). The turnstile keeps a waiting writer from being starved by readers that keep
    arriving: a reader passes it on its way in, a writer holds it while it waits and runs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:  # one process: nothing else runs at the same time anyway
        yield
        return
    directory = _lock_directory(os.getppid())
    directory.mkdir(exist_ok=True)
    turnstile, machine = directory / "turnstile.lock", directory / "machine.lock"
    if exclusive:
        with _flock(turnstile, fcntl.LOCK_EX), _flock(machine, fcntl.LOCK_EX):
            yield
    else:
        with _flock(turnstile, fcntl.LOCK_EX):
            pass
        with _flock(machine, fcntl.LOCK_SH):
            yield


@pytest.fixture(autouse=True)
def _share_the_machine(request: pytest.FixtureRequest) -> Iterator[None]:
    with _machine_share(exclusive=request.node.get_closest_marker(QUIET_MACHINE) is not None):
        yield


# --- the attack corpus's table (tests/e2e/hostile/test_corpus.py)

CORPUS_ROWS: list[dict[str, Any]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Reports reach the controlling process under xdist, with their user properties.
    if report.when == "call":
        for key, value in report.user_properties:
            if key == "corpus_row" and isinstance(value, dict):
                CORPUS_ROWS.append(value)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CORPUS_ROWS:
        from .e2e.hostile.test_corpus import Row, table

        terminalreporter.write_line("")
        terminalreporter.write_line(table([Row(**row) for row in CORPUS_ROWS]))
