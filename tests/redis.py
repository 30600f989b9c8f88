"""A real redis-server for the tests (registered in tests/conftest.py): one the test owns (it
may kill and restart it), CI's or one per module, and a channel per test.

Tests that only send through Redis use CI's server (`PYLON_TEST_REDIS_URL`, from .ci/run) when
it is given; those that kill Redis mid-run start their own from the `redis-server` binary
(Debian's `redis-server` package, which .ci/run installs). Without the binary the tests skip
locally and fail under CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.postgres import free_port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """redis-server on a fixed loopback port, nothing kept on disk; killed and started again on
    the same port to play an outage."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not _answers_ping(self.port):
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer PING within 30 s")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: connections drop without a goodbye, as when the host dies."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: .ci/run installs redis-server")
        pytest.skip("no redis-server binary here (apt-get install redis-server; .ci/run does)")
    return binary


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of this test's own, started (the test may kill and restart it)."""
    server = RedisServer(redis_binary())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """CI's redis-server, or one started here for the module."""
    given = os.environ.get("PYLON_TEST_REDIS_URL")
    if given:
        yield given
        return
    server = RedisServer(redis_binary())
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


@pytest.fixture
def channel() -> str:
    """A channel no other test (nor another run on CI's shared Redis) publishes on."""
    return f"pylon-gql-test:{uuid.uuid4().hex}"
