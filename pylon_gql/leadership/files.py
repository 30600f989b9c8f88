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
import os
from collections.abc import AsyncIterator
from pathlib import Path

from .keys import LockName, leader, signer

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


class FileLease:
    """The committer's lease as a `flock` on a file; the holder's replica id is its content."""

    def __init__(self, path: Path, name: LockName, replica: str) -> None:
        self.path = path
        self.label = name.label
        self.replica = replica
        self._fd: int | None = None

    async def acquire(self) -> bool:
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

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # no one leads: followers stop naming this replica
        finally:
            os.close(fd)  # frees the flock


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
        name = leader(netuid, hotkey)
        return FileLease(self.directory / f"{self.prefix}.{name.file}", name, replica)

    async def close(self) -> None:
        await self.signers.close()
