"""A store no other process can open (SQLite in memory): nothing to coordinate with. The lease
is always this replica's, and the in-process signing lock (`chain.extrinsics.signing_lock`) is
all a signer needs."""

from __future__ import annotations

from .keys import leader


class ProcessLease:
    def __init__(self, label: str, replica: str) -> None:
        self.label = label
        self.replica = replica
        self._held = False

    async def acquire(self) -> bool:
        self._held = True
        return True

    async def held(self) -> bool:
        return self._held

    async def holder(self) -> str | None:
        return self.replica if self._held else None

    async def running(self, replica: str) -> bool:
        return replica == self.replica  # no other process opens this database

    async def release(self) -> None:
        self._held = False


class ProcessCoordination:
    kind = "process"
    signers = None

    def leader_lease(self, netuid: int, hotkey: str, replica: str) -> ProcessLease:
        return ProcessLease(leader(netuid, hotkey).label, replica)

    async def close(self) -> None:
        return None
