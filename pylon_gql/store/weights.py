"""WeightStore: the validator's weights per epoch and the log of commit attempts, in SQL.

The store owns its own Tortoise context (not Tortoise's process-global one), entered around
every operation, so several servers (tests) can live in one process and a request task needs no
inherited context. Migrations are aerich's, applied when the store opens.

Every write is one transaction: a batch is all or nothing, and a delta is a single
`UPDATE ... SET weight = weight + ?` (with an insert for a missing row that retries the update if
a concurrent insert won), so concurrent deltas never lose one.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext, _current_context
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .models import Weight, WeightCommit

logger = logging.getLogger(__name__)

APP = "models"
#: aerich's migrations: shipped inside the package of a wheel (`pylon_gql/migrations`), or
#: `migrations/` at the repository root when running from a checkout.
_MIGRATION_DIRS = (
    Path(__file__).resolve().parents[1] / "migrations",
    Path(__file__).resolve().parents[2] / "migrations",
)
MIGRATIONS_DIR = next(
    (path for path in _MIGRATION_DIRS if (path / APP).is_dir()), _MIGRATION_DIRS[-1]
)


Status = str  # "pending" | "in_block" | "finalized" | "failed"
UNFINISHED = ("pending", "in_block")


class WeightRangeError(ValueError):
    """A weight (or a weight after a delta) that is not a finite number >= 0."""


@dataclass(frozen=True, slots=True)
class WeightEntry:
    hotkey: str
    epoch: int
    weight: float
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class CommitRecord:
    id: int
    block: int
    epoch: int
    weights_epoch: int
    netuid: int
    mode: str
    trigger: str
    uid_count: int
    digest: str
    reveal_round: int | None
    status: Status
    error: str | None
    outcome_unknown: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": url},
        "apps": {
            APP: {
                "models": ["pylon_gql.store.models", "aerich.models"],
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def weights_digest(weights: Mapping[int, float]) -> str:
    """SHA-256 (hex) of `uid:weight` lines in uid order: what a client can recompute."""
    text = "\n".join(f"{uid}:{weights[uid]!r}" for uid in sorted(weights))
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _check_weight(value: float, what: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise WeightRangeError(f"{what} must be a finite number >= 0, got {value!r}")


def _entry(row: Weight) -> WeightEntry:
    return WeightEntry(row.hotkey, row.epoch, row.weight, row.updated_at)


def _record(row: WeightCommit) -> CommitRecord:
    return CommitRecord(
        id=row.id,
        block=row.block,
        epoch=row.epoch,
        weights_epoch=row.weights_epoch,
        netuid=row.netuid,
        mode=row.mode,
        trigger=row.trigger,
        uid_count=row.uid_count,
        digest=row.digest,
        reveal_round=row.reveal_round,
        status=row.status,
        error=row.error,
        outcome_unknown=row.outcome_unknown,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _ensure_sqlite_dir(url: str) -> None:
    if not url.startswith("sqlite://"):
        return
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


async def migrate(url: str, location: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply aerich's migrations that the database at `url` lacks; returns their names."""
    from aerich import Command

    if not (location / APP).is_dir():
        # aerich would apply nothing and say nothing; the first query would then fail.
        raise FileNotFoundError(
            f"no database migrations in {location / APP}: reinstall pylon-gql (the wheel ships "
            "them in pylon_gql/migrations) or run from a checkout that has migrations/"
        )
    _ensure_sqlite_dir(url)
    with TortoiseContext() as context:
        try:
            command = Command(tortoise_config(url), app=APP, location=str(location))
            await command.init()
            return await command.upgrade(run_in_transaction=True)
        finally:
            await context.close_connections()


class WeightStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self._context: TortoiseContext | None = None

    async def open(self, *, apply_migrations: bool = True) -> None:
        if apply_migrations:
            applied = await migrate(self.url)
            if applied:
                logger.info("database migrated: %s", ", ".join(applied))
        _ensure_sqlite_dir(self.url)
        context = TortoiseContext()
        with context:
            await context.init(config=tortoise_config(self.url))
        self._context = context
        interrupted = await self.mark_interrupted()
        if interrupted:
            logger.warning(
                "%d weight commit attempt(s) were interrupted by a stop before their outcome "
                "was known; they count as possibly landed",
                interrupted,
            )

    async def close(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            with context:
                await context.close_connections()

    @contextmanager
    def _active(self) -> Iterator[None]:
        if self._context is None:
            raise RuntimeError("the weight store is not open")
        # Our own token per use: TortoiseContext's `with` keeps one token on the context
        # itself, so concurrent tasks cannot share it.
        token = _current_context.set(self._context)
        try:
            yield
        finally:
            _current_context.reset(token)

    # --- weights

    async def set_weights(self, epoch: int, weights: Sequence[tuple[str, float]]) -> int:
        """Set every (hotkey, weight) of `epoch` in one transaction; returns how many."""
        for hotkey, weight in weights:
            _check_weight(weight, f"the weight of {hotkey}")
        now = _now()
        rows = [Weight(hotkey=h, epoch=epoch, weight=w, updated_at=now) for h, w in weights]
        with self._active():
            async with in_transaction():
                # INSERT ... ON CONFLICT (hotkey, epoch) DO UPDATE: one statement per 500 rows.
                await Weight.bulk_create(
                    rows,
                    batch_size=500,
                    on_conflict=("hotkey", "epoch"),
                    update_fields=("weight", "updated_at"),
                )
        return len(weights)

    async def set_weight(self, epoch: int, hotkey: str, weight: float) -> WeightEntry:
        _check_weight(weight, f"the weight of {hotkey}")
        now = _now()
        with self._active():
            async with in_transaction():
                await self._upsert(hotkey, epoch, weight, now)
            return WeightEntry(hotkey, epoch, weight, now)

    async def add_weight(self, epoch: int, hotkey: str, delta: float) -> WeightEntry:
        """Add `delta` to the weight of `hotkey` in `epoch` (a missing weight counts as 0).

        Atomic: the update is one SQL statement, `weight = weight + delta`, guarded so that the
        result stays >= 0; concurrent calls never lose one.
        """
        if not math.isfinite(delta):
            raise WeightRangeError(f"delta must be a finite number, got {delta!r}")
        with self._active():
            for _ in range(3):
                async with in_transaction():
                    now = _now()
                    updated = await Weight.filter(
                        hotkey=hotkey, epoch=epoch, weight__gte=-delta
                    ).update(weight=F("weight") + delta, updated_at=now)
                    row = await Weight.get_or_none(hotkey=hotkey, epoch=epoch)
                    if updated:
                        assert row is not None
                        return _entry(row)
                    if row is not None:
                        raise WeightRangeError(
                            f"the weight of {hotkey} is {row.weight!r}: adding {delta!r} would "
                            "make it negative"
                        )
                _check_weight(delta, f"the weight of {hotkey} (no weight yet, so the delta)")
                try:
                    async with in_transaction():
                        created = await Weight.create(
                            hotkey=hotkey, epoch=epoch, weight=delta, updated_at=now
                        )
                        return _entry(created)
                except IntegrityError:
                    continue  # a concurrent call inserted it first: add to its row
            raise RuntimeError(f"could not add to the weight of {hotkey}: too much contention")

    async def _upsert(self, hotkey: str, epoch: int, weight: float, now: datetime.datetime) -> None:
        updated = await Weight.filter(hotkey=hotkey, epoch=epoch).update(
            weight=weight, updated_at=now
        )
        if not updated:
            await Weight.create(hotkey=hotkey, epoch=epoch, weight=weight, updated_at=now)

    async def weights(self, epoch: int) -> list[WeightEntry]:
        """The weights of `epoch`, by hotkey."""
        with self._active():
            rows = await Weight.filter(epoch=epoch).order_by("hotkey")
        return [_entry(row) for row in rows]

    async def latest_weights_epoch(self, at_or_before: int) -> int | None:
        """The latest epoch, starting at or before block `at_or_before`, that has weights."""
        with self._active():
            row = (
                await Weight.filter(epoch__lte=at_or_before)
                .order_by("-epoch")
                .first()
                .values_list("epoch", flat=True)
            )
        return None if row is None else int(row)  # type: ignore[arg-type]

    # --- the commit log

    async def start_commit(
        self,
        *,
        block: int,
        epoch: int,
        weights_epoch: int,
        netuid: int,
        mode: str,
        trigger: str,
        uid_count: int,
        digest: str,
    ) -> CommitRecord:
        now = _now()
        with self._active():
            row = await WeightCommit.create(
                block=block,
                epoch=epoch,
                weights_epoch=weights_epoch,
                netuid=netuid,
                mode=mode,
                trigger=trigger,
                uid_count=uid_count,
                digest=digest,
                status="pending",
                created_at=now,
                updated_at=now,
            )
        return _record(row)

    async def update_commit(
        self,
        commit_id: int,
        status: Status,
        *,
        block: int | None = None,
        reveal_round: int | None = None,
        error: str | None = None,
    ) -> CommitRecord:
        changes: dict[str, Any] = {"status": status, "updated_at": _now()}
        if block is not None:
            changes["block"] = block
        if reveal_round is not None:
            changes["reveal_round"] = reveal_round
        if error is not None:
            changes["error"] = error
        with self._active():
            await WeightCommit.filter(id=commit_id).update(**changes)
            row = await WeightCommit.get(id=commit_id)
        return _record(row)

    async def commits(self, last: int | None = None) -> list[CommitRecord]:
        """The latest `last` attempts (all when None), newest first."""
        with self._active():
            query = WeightCommit.all().order_by("-id")
            if last is not None:
                query = query.limit(last)
            rows = await query
        return [_record(row) for row in rows]

    async def last_landed_commit(self, netuid: int) -> CommitRecord | None:
        """The latest attempt that is finalized, or that may have landed (outcome unknown)."""
        with self._active():
            row = (
                await WeightCommit.filter(netuid=netuid)
                .filter(status="finalized")
                .order_by("-epoch", "-id")
                .first()
            )
            unknown = (
                await WeightCommit.filter(netuid=netuid, outcome_unknown=True)
                .order_by("-epoch", "-id")
                .first()
            )
        candidates = [r for r in (row, unknown) if r is not None]
        if not candidates:
            return None
        return _record(max(candidates, key=lambda r: (r.epoch, r.id)))

    async def unfinished_commits(self) -> list[CommitRecord]:
        with self._active():
            rows = await WeightCommit.filter(status__in=UNFINISHED).order_by("id")
        return [_record(row) for row in rows]

    async def mark_interrupted(self) -> int:
        """Attempts left pending or in a block by a stopped server: failed, outcome unknown."""
        with self._active():
            return await WeightCommit.filter(status__in=UNFINISHED).update(
                status="failed",
                outcome_unknown=True,
                error="interrupted: the server stopped before the outcome was known; it may "
                "have landed, so it is not retried in its epoch",
                updated_at=_now(),
            )
