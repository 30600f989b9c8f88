"""What replicas coordinate with: a lease only one holds at a time (the committer's), and a
lock every signed write holds around reading its nonce and submitting (the signer's).

Each kind of store has its own (`coordination_for`): PostgreSQL's advisory locks, a file lock
beside a SQLite file, or nothing to share for a database in this process's memory.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class Lease(Protocol):
    """A lease this replica tries for without waiting, holds until it releases it or its
    process dies (the OS, or PostgreSQL, frees it then), and may lose (a dropped connection)."""

    #: What it guards, for logs and /health.
    label: str

    async def acquire(self) -> bool:
        """Try once, without waiting: True when this replica holds it now."""
        ...

    async def held(self) -> bool:
        """Whether this replica still holds it (False once lost, or never won)."""
        ...

    async def holder(self) -> str | None:
        """The replica that holds it, as far as can be known (None: unknown, or no one)."""
        ...

    async def running(self, replica: str) -> bool:
        """Whether the replica named `replica` runs now on this database (its process holds its
        presence from its first attempt at the lease until it stops or dies): the leader marks
        the unfinished attempts of a replica that no longer runs."""
        ...

    async def release(self) -> None:
        """Give it up (nothing when not held), and this replica's presence with it."""
        ...


class SignerLocks(Protocol):
    """One write at a time per signing key, across the replicas."""

    def hold(self, address: str) -> AbstractAsyncContextManager[None]:
        """Held from reading the signer's nonce until the node's pool holds the transaction;
        waits for another replica's write signed by `address`. Raises `ChainUnavailable` when
        the lock cannot be taken (its database is unreachable): a write is never sent
        unserialised."""
        ...

    async def close(self) -> None: ...


class Coordination(Protocol):
    """The leases and signer locks of one store (its URL)."""

    @property
    def kind(self) -> str:
        """`postgres`, `file` or `process`: what the replicas coordinate through."""
        ...

    @property
    def signers(self) -> SignerLocks | None:
        """The signer locks to hold around each signed write (None: this process's suffice)."""
        ...

    def leader_lease(self, netuid: int, hotkey: str, replica: str) -> Lease: ...

    async def close(self) -> None: ...
