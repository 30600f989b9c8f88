"""Which connection the store's tables use: per task, not per process.

Tortoise binds each model class to a connection name at init
(`Model._meta.default_connection`), process-wide; the name then resolves in the current
`TortoiseContext`. The store names its connection after the dialect (tortoise caches SQL per
name), so a process holding a SQLite and a PostgreSQL store (the tests: a session's server
beside a test's replicas) had each store point the classes at its own name on each use, and a
query of one store, awaited while the other pointed them elsewhere, asked its context for a name
it does not have (`KeyError: 'sqlite'`). Here the name is read from a context variable that each
use of a store sets for its own task (and the tasks it starts), as the context itself is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tortoise.models import MetaInfo, Model

_CONNECTION: ContextVar[str | None] = ContextVar("pylon_store_connection", default=None)

#: The slot tortoise writes the name into at init (what a task without a store in use reads).
_INIT_NAME: Any = MetaInfo.__dict__["default_connection"]


class _TaskBoundMeta(MetaInfo):
    """A model's `_meta` whose connection name is the task's, when a store set one."""

    __slots__ = ()

    @property
    def default_connection(self) -> str | None:  # pyright: ignore[reportIncompatibleVariableOverride]
        return _CONNECTION.get() or _INIT_NAME.__get__(self, MetaInfo)

    @default_connection.setter
    def default_connection(self, value: str | None) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        _INIT_NAME.__set__(self, value)


def bind_per_task(tables: Iterable[type[Model]]) -> None:
    """Let `tables` take their connection name from the task (idempotent)."""
    for table in tables:
        meta = table._meta  # pyright: ignore[reportPrivateUsage]
        if type(meta) is MetaInfo:
            meta.__class__ = _TaskBoundMeta


@contextmanager
def connection_named(name: str) -> Iterator[None]:
    """Inside, the bound tables use the connection `name` (of the current TortoiseContext)."""
    token = _CONNECTION.set(name)
    try:
        yield
    finally:
        _CONNECTION.reset(token)
