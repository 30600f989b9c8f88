"""The names of the locks replicas share: the committer's lease per (netuid, hotkey), and the
signer's lock per signing key. One name, two forms: a PostgreSQL advisory lock key (a signed
64-bit integer) and a file name beside the SQLite file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

#: Every key is hashed under this prefix, so that another application's advisory locks on the
#: same database (and the store's migration lock) never share one of ours but by a 2^-64 chance.
_NAMESPACE = "pylon-gql"


@dataclass(frozen=True)
class LockName:
    """What a lock guards, as logs say it (`label`) and as each kind of lock names it."""

    label: str
    #: For `pg_try_advisory_lock(bigint)`.
    advisory: int
    #: A file name (no directory): ASCII letters, digits, `-` and `.` only.
    file: str

    @property
    def advisory_parts(self) -> tuple[int, int]:
        """The key as `pg_locks` shows a bigint advisory lock: (classid, objid), the high and
        low 32 bits, unsigned."""
        unsigned = self.advisory & 0xFFFF_FFFF_FFFF_FFFF
        return unsigned >> 32, unsigned & 0xFFFF_FFFF


def _advisory(*parts: str) -> int:
    digest = hashlib.sha256("\0".join((_NAMESPACE, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def leader(netuid: int, hotkey: str) -> LockName:
    """The committer's lease: one replica commits the weights of `hotkey` on subnet `netuid`."""
    return LockName(
        label=f"the committer of subnet {netuid} for hotkey {hotkey}",
        advisory=_advisory("leader", str(netuid), hotkey),
        # SS58 addresses are base58: safe in a file name.
        file=f"leader-{netuid}-{hotkey}.lock",
    )


def signer(address: str) -> LockName:
    """The signer's lock: one write signed by `address` reads its nonce and submits at a time."""
    return LockName(
        label=f"the signer {address}",
        advisory=_advisory("signer", address),
        file=f"signer-{address}.lock",
    )
