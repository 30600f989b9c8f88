"""Leases and signer locks for replicas that share a SQLite file (one host): `flock` on files
beside it.

`fcntl.flock` directly rather than the `filelock` library: every attempt here is a non-blocking
`flock(LOCK_NB)`, a system call that returns at once, made on the event loop itself, so a task
cancelled while it waits (a write's timeout) never leaves a thread behind that takes the lock
later and holds it for no one; and the leader writes its replica id into the very file it locks
(filelock owns and truncates its file), which is how a follower can say who leads. The OS frees a
`flock` when its process dies (SIGKILL included), so a killed leader's lease is free at once.
`flock` is per open file, not per process: two stores in one process exclude each other too.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

from .keys import LockName, leader, signer

logger = logging.getLogger(__name__)

#: `flock` answers one of these when another open file holds the lock.
_BUSY = frozenset({errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK})
#: Seconds between a waiting signer's attempts: short against a write's seconds.
_SIGNER_POLL = (0.005, 0.05)
#: Most bytes of a replica id read back from a lease file.
_MAX_ID = 256


def _try_lock(path: Path) -> int | None:
    """The open file descriptor holding an exclusive `flock` on `path`, or None when another
    holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in _BUSY:
            return None
        raise
    return fd


def _presence_name(replica: str) -> str:
    return "replica-" + re.sub(r"[^A-Za-z0-9._@-]", "_", replica) + ".lock"


class FileLease:
    """The committer's lease as a `flock` on a file; the holder's replica id is its content.
    Each replica also holds a `flock` on a presence file of its own while it runs."""

    def __init__(self, directory: Path, prefix: str, name: LockName, replica: str) -> None:
        self.path = directory / f"{prefix}.{name.file}"
        self.label = name.label
        self.replica = replica
        self._directory, self._prefix = directory, prefix
        self._fd: int | None = None
        self._presence_fd: int | None = None

    def _presence(self, replica: str) -> Path:
        return self._directory / f"{self._prefix}.{_presence_name(replica)}"

    async def acquire(self) -> bool:
        if self._presence_fd is None:
            self._presence_fd = _try_lock(self._presence(self.replica))
            if self._presence_fd is None:
                logger.error(
                    "another process runs as replica %s on this database: give each replica "
                    "its own PYLON_REPLICA_ID",
                    self.replica,
                )
        if self._fd is not None:
            return True
        fd = _try_lock(self.path)
        if fd is None:
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.replica.encode(), 0)
        self._fd = fd
        return True

    async def held(self) -> bool:
        # Nothing takes a `flock` from its holder: held until released or the process ends.
        return self._fd is not None

    async def holder(self) -> str | None:
        if self._fd is not None:
            return self.replica
        try:
            with self.path.open("rb") as file:
                text = file.read(_MAX_ID).decode(errors="replace").strip()
        except FileNotFoundError:
            return None
        # Empty: released cleanly. Left by a killed leader, it names that one until a follower
        # takes the lease (within its retry interval).
        return text or None

    async def running(self, replica: str) -> bool:
        if replica == self.replica:
            return True
        path = self._presence(replica)
        fd = _try_lock(path)
        if fd is None:
            return True  # its process holds its presence
        # Nobody holds it: that replica stopped or died. Its file goes (ids are per start).
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
        return False

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)  # no one leads: followers stop naming this replica
            finally:
                os.close(fd)  # frees the flock
        presence, self._presence_fd = self._presence_fd, None
        if presence is not None:
            with contextlib.suppress(FileNotFoundError):
                self._presence(self.replica).unlink()
            os.close(presence)


class FileSignerLocks:
    """A signer's lock as a `flock` on a file per signing key, waited for by polling."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.directory = directory
        self.prefix = prefix

    def path(self, name: LockName) -> Path:
        return self.directory / f"{self.prefix}.{name.file}"

    @contextlib.asynccontextmanager
    async def hold(self, address: str) -> AsyncIterator[None]:
        path = self.path(signer(address))
        delay = _SIGNER_POLL[0]
        while (fd := _try_lock(path)) is None:
            await asyncio.sleep(delay)
            delay = min(_SIGNER_POLL[1], delay * 2)
        try:
            yield
        finally:
            os.close(fd)

    async def close(self) -> None:
        return None


class FileCoordination:
    """Replicas on one host sharing the SQLite file at `database`: lock files beside it."""

    kind = "file"

    def __init__(self, database: Path) -> None:
        self.directory = database.parent
        self.prefix = database.name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.signers = FileSignerLocks(self.directory, self.prefix)

    def leader_lease(self, netuid: int, hotkey: str, replica: str) -> FileLease:
        return FileLease(self.directory, self.prefix, leader(netuid, hotkey), replica)

    async def close(self) -> None:
        await self.signers.close()
