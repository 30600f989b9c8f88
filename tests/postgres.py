"""A real PostgreSQL server for the tests, and a fresh database per test.

CI's server comes from .ci/run (it exports `PYLON_TEST_POSTGRES_URL`); without it a test session
starts its own from Debian's binaries (`postgresql` package: /usr/lib/postgresql/*/bin), with
its data and its socket in a temporary directory and durability off (a test server loses
nothing worth keeping). initdb refuses to run as root, so as root the server runs as the
`postgres` user the package creates. No binaries: the Postgres tests skip, and fail under CI.

`python -m tests.postgres` starts one and prints its URL to export (Ctrl-C stops it).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV = "PYLON_TEST_POSTGRES_URL"
#: Settings for a throwaway server: nothing is flushed to disk, and enough connections for
#: every test's pool (tortoise keeps one pool per open store) across xdist workers.
SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
    "shared_buffers=32MB",
)


def binaries() -> Path | None:
    """The directory of Debian's newest PostgreSQL server binaries (or those on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_major)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).resolve().parent if on_path else None


def _major(path: str) -> int:
    with contextlib.suppress(ValueError, IndexError):
        return int(Path(path).parts[-3])
    return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A PostgreSQL server in a temporary directory, started and stopped by its PID."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="pylon-gql-postgres-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # initdb refuses root: as root, the package's `postgres` user owns the data.
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run_as(self) -> dict[str, object]:
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 60.0) -> None:
        data = self.root / "data"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self._run_as(),  # type: ignore[arg-type]
        )
        options = [arg for setting in SERVER_SETTINGS for arg in ("-c", setting)]
        log = (self.root / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(self.bin_dir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                *options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            **self._run_as(),  # type: ignore[arg-type]
        )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres not ready after {timeout} s: {self.log_tail()}")
            time.sleep(0.05)

    def _ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")[-2000:]
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # a fast shutdown: clients disconnected
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def server_url() -> Iterator[str]:
    """CI's server (`PYLON_TEST_POSTGRES_URL`), or one started for the session; skips (fails
    under CI) when there is neither."""
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    bin_dir = binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: .ci/run starts postgres ({ENV})")
        pytest.skip(f"no PostgreSQL here (apt-get install postgresql, or set {ENV})")
    server = Server(bin_dir)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(server: str) -> str:
    """A new, empty database on the server; its URL."""
    import asyncpg

    name = f"pylon_test_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(with_database(server, "postgres"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server, name)


async def drop_database(url: str) -> None:
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    connection = await asyncpg.connect(with_database(url, "postgres"))
    try:
        # FORCE: a test that failed may have left a pool open.
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    bin_dir = binaries()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL binaries: apt-get install postgresql")
    server = Server(bin_dir)
    started = time.monotonic()
    server.start()
    print(
        f"export {ENV}={server.url}   # up in {time.monotonic() - started:.1f} s; "
        "Ctrl-C (or SIGTERM) stops it",
        flush=True,
    )

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    # Both, explicitly: a background job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        signal.pause()
    finally:
        server.stop()


if __name__ == "__main__":
    main()


# --- fixtures (registered in tests/conftest.py)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's `postgres` database, for the session."""
    with server_url() as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A fresh database of its own for one test (xdist workers never share one)."""
    url = await create_database(postgres_server)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'db' / 'pylon.sqlite3'}"
        return
    url = await create_database(request.getfixturevalue("postgres_server"))
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """`database_url` for the tests of one module that share a server."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'pylon.sqlite3'}"
        return
    url = await create_database(request.getfixturevalue("postgres_server"))
    try:
        yield url
    finally:
        await drop_database(url)
