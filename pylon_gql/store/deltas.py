"""Deltas to a weight and the lock of an epoch's vector, correct when writers race, on SQLite
and on PostgreSQL.

Postgres runs each statement of a READ COMMITTED transaction on its own snapshot, so "UPDATE,
and if it matched nothing, look" can look at a row that a concurrent insert committed after the
UPDATE ran, and report a bound the delta never crossed. Here each delta is one statement that
decides on the row it locks: an insert that adds to the existing row on conflict (`INSERT ...
ON CONFLICT DO UPDATE ... WHERE <bounds> RETURNING`), or for a negative delta, which cannot
create a row, `UPDATE ... WHERE <bounds> RETURNING`. When the bounds refuse, the row is read
again locked (`FOR UPDATE`; on SQLite the transaction already holds the write lock) and the
bounds are checked on what is there now: a row a concurrent insert brought is updated, not
reported. SQLite has the same statements (since 3.35) and serialises writers anyway.

The SQL is written with Postgres's `$n` parameters; SQLite reads `?n` for the same.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from ..validation import weight_problem
from .errors import WeightRangeError
from .models import Weight

_ADD = """
INSERT INTO "weight" AS w ("hotkey", "epoch", "weight", "updated_at", "mechanism")
VALUES ($1, $2, $3, $4, $7)
ON CONFLICT ("hotkey", "epoch", "mechanism") DO UPDATE
    SET "weight" = w."weight" + excluded."weight", "updated_at" = excluded."updated_at"
    WHERE w."weight" >= $5 AND w."weight" <= $6
RETURNING "weight"
"""
_UPDATE = """
UPDATE "weight" SET "weight" = "weight" + $3, "updated_at" = $4
WHERE "hotkey" = $1 AND "epoch" = $2 AND "mechanism" = $7 AND "weight" >= $5 AND "weight" <= $6
RETURNING "weight"
"""
_DELETE = """
DELETE FROM "weight" WHERE "hotkey" = $1 AND "epoch" = $2 AND "mechanism" = $3
RETURNING "weight", "updated_at"
"""
_LOCKED = 'SELECT "weight" FROM "weight" WHERE "hotkey" = $1 AND "epoch" = $2 AND "mechanism" = $3'
#: pg_advisory_xact_lock(int4, int4)'s class of an epoch's vector ("pylw").
EPOCH_LOCK_CLASS = 0x70796C77


def _sql(db: BaseDBAsyncClient, query: str) -> str:
    return query.replace("$", "?") if db.capabilities.dialect == "sqlite" else query


async def _rows(db: BaseDBAsyncClient, query: str, values: list[Any]) -> list[dict[str, Any]]:
    # execute_query_dict: tortoise's execute_query drops what an INSERT or UPDATE returns.
    return await db.execute_query_dict(_sql(db, query), values)


async def add(
    db: BaseDBAsyncClient,
    hotkey: str,
    epoch: int,
    delta: float,
    now: datetime.datetime,
    mechanism: int = 0,
) -> float:
    """Add `delta` to the weight of `hotkey` in `epoch` (of `mechanism`) inside the caller's
    transaction on `db` (a missing weight counts as 0); the weight after it. Raises
    `WeightRangeError` (changing nothing) when the result would be negative or infinite."""
    # Both bounds are computed here, finite: -delta, and the largest weight that delta can be
    # added to without passing the largest float (1.7e308 + 1.7e308 is infinity in SQL too).
    low, high = -delta, sys.float_info.max - max(delta, 0.0)
    values = [hotkey, epoch, delta, now, low, high, mechanism]
    # A delta >= 0 is a valid weight for a missing row; a negative one is not.
    statement = _ADD if delta >= 0 else _UPDATE
    for _ in range(2):
        rows = await _rows(db, statement, values)
        if rows:
            return float(rows[0]["weight"])
        locked = _LOCKED + (" FOR UPDATE" if db.capabilities.dialect == "postgres" else "")
        current = await _rows(db, locked, [hotkey, epoch, mechanism])
        if not current:
            problem = weight_problem(delta) or "must be a number >= 0"
            raise WeightRangeError(
                f"the weight of {hotkey} (no weight yet, so the delta): {problem}"
            )
        weight = float(current[0]["weight"])
        if not low <= weight <= high:
            would = "negative" if weight + delta < 0 else "infinite"
            raise WeightRangeError(
                f"the weight of {hotkey} is {weight!r}: adding {delta!r} would make it {would}"
            )
        # The row came from a concurrent insert after the statement looked: now it is locked.
    raise RuntimeError(f"could not add to the weight of {hotkey}: it kept changing")


async def delete(
    db: BaseDBAsyncClient, hotkey: str, epoch: int, mechanism: int = 0
) -> tuple[float, datetime.datetime] | None:
    """Delete the weight of `hotkey` in `epoch` in one statement; the weight and its
    `updated_at` it had (None: it had none)."""
    rows = await _rows(db, _DELETE, [hotkey, epoch, mechanism])
    if not rows:
        return None
    # SQLite returns the time as the text it keeps: the model's field reads it as the ORM does.
    updated_at = Weight._meta.fields_map["updated_at"].to_python_value(rows[0]["updated_at"])
    return float(rows[0]["weight"]), updated_at


async def lock_epoch(db: BaseDBAsyncClient, epoch: int, mechanism: int = 0) -> None:
    """Hold the epoch's vector (of `mechanism`) until the caller's transaction ends, so that
    two batches that replace it (or a clear) never interleave into a mix of both (Postgres;
    SQLite writers are serialised by its write lock)."""
    if db.capabilities.dialect == "postgres":
        # One lock class per mechanism: mechanism 0 keeps the class it always had.
        lock_class = EPOCH_LOCK_CLASS + mechanism
        await db.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [lock_class, epoch])
