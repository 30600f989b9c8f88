"""Which coordination a store's URL calls for."""

from __future__ import annotations

import logging
from pathlib import Path

from .files import FileCoordination
from .lease import Coordination
from .local import ProcessCoordination
from .postgres import AdvisoryCoordination

logger = logging.getLogger(__name__)

_POSTGRES_SCHEMES = ("postgres://", "postgresql://", "asyncpg://", "psycopg://")


def coordination_for(url: str) -> Coordination:
    """PostgreSQL's advisory locks for a Postgres store; file locks beside a SQLite file
    (replicas on one host); nothing for a SQLite database in memory (no other process sees it)."""
    if url.startswith(_POSTGRES_SCHEMES):
        return AdvisoryCoordination(url)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        if not path or path == ":memory:":
            return ProcessCoordination()
        return FileCoordination(Path(path).expanduser().resolve())
    logger.warning(
        "no lock to share with other replicas on %s: run one replica on it",
        url.split("://", 1)[0] + "://",
    )
    return ProcessCoordination()
