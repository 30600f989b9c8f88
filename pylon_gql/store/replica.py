"""The id of this server process among the replicas that share one database.

Recorded on every commit attempt (`WeightCommit.replica`) so that a replica marks as interrupted
only the attempts it made, and `/health` can say who committed. `PYLON_REPLICA_ID` (the
`replica_id` setting) names a replica for people (`validator-a`); by default it is the host's
name, the process id and a few random characters: unique even for two processes in one
container image that get the same pid.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket

#: The column's width (`WeightCommit.replica`).
MAX_LENGTH = 64


@functools.cache
def generated_replica_id() -> str:
    """This process's id: `<hostname>-<pid>-<6 hex>`, at most 64 characters."""
    suffix = f"-{os.getpid()}-{secrets.token_hex(3)}"
    host = socket.gethostname() or "host"
    return host[: MAX_LENGTH - len(suffix)] + suffix


def replica_id(configured: str | None = None) -> str:
    """The configured id (`PYLON_REPLICA_ID`), else this process's generated one."""
    return configured or generated_replica_id()
