"""WeightStore: the validator's weights per epoch and the log of commit attempts, in SQL.

The store owns its own Tortoise context (not Tortoise's process-global one), entered around
every operation, so several servers (tests) can live in one process and a request task needs no
inherited context. Migrations are aerich's, applied when the store opens.

Every write is one transaction: a batch is all or nothing (and, replacing, the epoch's vector
is exactly the batch afterwards, never a mix), and a delta is a single
`UPDATE ... SET weight = weight + ?` (with an insert for a missing row that retries the update if
a concurrent insert won), so concurrent deltas never lose one.

Weights are keyed by the first block of their epoch as it was when they were written. The epoch
of a block (`epoch`) starts at the later of its start under the tempo in force there and the
newest key stored at or before it, so raising the tempo, which moves the computed start back,
never hides weights already written in the epoch the chain is in.

Each epoch written in (or committed in) is also recorded as the chain described it then
(`WeightsEpoch`): answers about it (`recorded_epoch`) need no chain read, and an epoch whose
weights were cleared still counts as the newest vector, an empty one.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tortoise.context import TortoiseContext, _current_context
from tortoise.transactions import in_transaction

from ..chain.epochs import started_at
from ..models import BlockRef, Epoch, WeightEntry
from ..validation import delta_problem, weight_problem
from . import deltas
from .binding import bind_per_task, connection_named
from .commits import CommitLog, EpochAt
from .errors import StoreUnavailable, WeightRangeError, unreachable
from .migrations import dialect, ensure_sqlite_dir, migrate, tortoise_config
from .models import TABLES, EpochMechanism, Weight, WeightsEpoch
from .replica import replica_id

logger = logging.getLogger(__name__)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _check_weight(value: float, hotkey: str) -> None:
    problem = weight_problem(value)
    if problem is not None:
        raise WeightRangeError(f"the weight of {hotkey}: {problem}")


def _entry(row: Weight) -> WeightEntry:
    return WeightEntry(row.hotkey, row.epoch, row.weight, row.updated_at, row.mechanism)


def _recorded(row: WeightsEpoch) -> EpochAt:
    epoch = Epoch(
        netuid=row.netuid,
        tempo=row.tempo,
        index=row.index,
        start=row.start,
        end=row.end,
        block=row.block,
        commit_window_start=row.commit_window_start,
        commit_window_end=row.commit_window_end,
    )
    return epoch, BlockRef(row.block, row.block_hash)


async def _upsert(rows: list[Weight]) -> None:
    """INSERT ... ON CONFLICT (hotkey, epoch, mechanism) DO UPDATE: one statement per 500
    rows, atomic against a concurrent insert of the same weight on both databases."""
    await Weight.bulk_create(
        rows,
        batch_size=500,
        on_conflict=("hotkey", "epoch", "mechanism"),
        update_fields=("weight", "updated_at"),
    )


async def _upsert_epoch(at: EpochAt, written: bool) -> None:
    epoch, ref = at
    await WeightsEpoch.bulk_create(
        [
            WeightsEpoch(
                start=epoch.start,
                netuid=epoch.netuid,
                tempo=epoch.tempo,
                index=epoch.index,
                end=epoch.end,
                commit_window_start=epoch.commit_window_start,
                commit_window_end=epoch.commit_window_end,
                written=written,
                block=ref.number,
                block_hash=ref.hash,
                updated_at=_now(),
            )
        ],
        on_conflict=("start",),
        # All of it: after a tempo raise the same start has the new tempo's end.
        update_fields=(
            "netuid",
            "tempo",
            "index",
            "end",
            "commit_window_start",
            "commit_window_end",
            "block",
            "block_hash",
            "updated_at",
            # a commit attempt never unmarks an epoch written in
            *(("written",) if written else ()),
        ),
    )


async def _mark_written(start: int, mechanism: int) -> None:
    """Record that `mechanism`'s weights were written (or cleared) in the epoch at `start`:
    its vector there is the epoch's own from now on (`latest_weights_epoch`)."""
    await EpochMechanism.bulk_create(
        [EpochMechanism(start=start, mechanism=mechanism)],
        on_conflict=("start", "mechanism"),
        update_fields=("mechanism",),
    )


class WeightStore(CommitLog):
    def __init__(self, url: str, *, replica: str | None = None) -> None:
        """`replica`: this server process's id among the replicas that share the database
        (`PYLON_REPLICA_ID`); default: a generated one (`replica_id`)."""
        self.url = url
        self._connection = dialect(url)
        bind_per_task(TABLES)
        self.replica = replica_id(replica)
        self._context: TortoiseContext | None = None
        #: The epoch records as this store last wrote them: a write at the same head needs
        #: no second upsert (500 concurrent deltas at one head make one).
        self._recorded: dict[int, tuple[EpochAt, bool]] = {}
        #: The (epoch start, mechanism) pairs this store marked written (`EpochMechanism`).
        self._written: set[tuple[int, int]] = set()

    async def open(self, *, apply_migrations: bool = True, mark_interrupted: bool = True) -> None:
        """Migrate (`apply_migrations`) and connect.

        `mark_interrupted`: a server alone on its database marks every unfinished attempt as
        interrupted (a stopped server left it). Replicas open with False: only the leader marks,
        and only attempts it knows are no longer running (`mark_interrupted(replica=...)`).
        """
        if apply_migrations:
            applied = await migrate(self.url)
            if applied:
                logger.info("database migrated: %s", ", ".join(applied))
        ensure_sqlite_dir(self.url)
        context = TortoiseContext()
        with context:
            try:
                await context.init(config=tortoise_config(self.url))
            except Exception as exc:
                if unreachable(exc):
                    raise StoreUnavailable(self.url, exc) from None
                raise
        self._context = context
        if not mark_interrupted:
            return
        interrupted = await self.mark_all_interrupted()
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
            # the tables' connection name is this task's (binding.py: not process-wide)
            with connection_named(self._connection):
                yield
        except BaseException:
            self._recorded.clear()  # a rolled back transaction may have held a record
            self._written.clear()
            raise
        finally:
            _current_context.reset(token)

    async def _record_epoch(
        self, at: EpochAt | None, *, written: bool = True, mechanism: int = 0
    ) -> None:
        """Keep the epoch's record as of `at`'s block; inside the caller's transaction.
        `written`: weights (of `mechanism`) were written in it (else only a commit attempt was
        made)."""
        if written and at is not None:
            await self._mark_written(at[0].start, mechanism)
        if at is None:
            return
        kept = self._recorded.get(at[0].start)
        if kept is not None and kept[0] == at and (kept[1] or not written):
            return
        await _upsert_epoch(at, written)
        self._recorded[at[0].start] = (at, written or (kept is not None and kept[1]))

    async def _mark_written(self, start: int, mechanism: int) -> None:
        """`mechanism`'s vector of the epoch at `start` is its own from now on (written or
        cleared): `EpochMechanism`, once per store and pair; inside the caller's transaction."""
        if (start, mechanism) in self._written:
            return
        await _mark_written(start, mechanism)
        self._written.add((start, mechanism))

    # --- weights

    async def epoch(self, epoch: Epoch) -> Epoch:
        """The epoch weights at `epoch.block` belong to: the chain's `epoch` (from the tempo in
        force at that block), started at the newest key stored between its start and the block
        when there is one.

        Only a tempo change leaves such a key: a raise moves the computed start back before
        weights written under the old tempo, while the chain is still in the epoch they were
        written in (subtensor runs the next one where the new tempo says). With an unchanged
        tempo every key at or before the block is at or before the epoch's start.
        """
        with self._active():
            newest = [
                await model.filter(**{f"{key}__gt": epoch.start, f"{key}__lte": epoch.block})
                .order_by(f"-{key}")
                .first()
                .values_list(key, flat=True)
                for model, key in ((Weight, "epoch"), (WeightsEpoch, "start"))
            ]
        keys = [int(key) for key in newest if key is not None]  # type: ignore[arg-type]
        return started_at(epoch, max(keys)) if keys else epoch

    async def set_weights(
        self,
        epoch: int,
        weights: Sequence[tuple[str, float]],
        *,
        replace: bool = False,
        at: EpochAt | None = None,
        mechanism: int = 0,
    ) -> int:
        """Set every (hotkey, weight) of `epoch` (of `mechanism`) in one transaction; returns
        how many.

        `replace`: the epoch's weights become exactly these (the others are deleted in the same
        transaction); else they are merged into it (upsert). `at`: the epoch's record to keep.
        """
        for hotkey, weight in weights:
            _check_weight(weight, hotkey)
        now = _now()
        rows = [
            Weight(hotkey=h, epoch=epoch, weight=w, updated_at=now, mechanism=mechanism)
            for h, w in weights
        ]
        with self._active():
            async with in_transaction() as connection:
                if replace:
                    # Two replacing batches one after the other, never a mix of both.
                    await deltas.lock_epoch(connection, epoch, mechanism)
                    await Weight.filter(epoch=epoch, mechanism=mechanism).delete()
                await _upsert(rows)
                await self._mark_written(epoch, mechanism)
                await self._record_epoch(at, mechanism=mechanism)
        return len(weights)

    async def clear_weights(
        self, epoch: int, *, at: EpochAt | None = None, mechanism: int = 0
    ) -> int:
        """Delete every weight of `epoch` (of `mechanism`; its vector is then empty); returns
        how many."""
        with self._active():
            async with in_transaction() as connection:
                await deltas.lock_epoch(connection, epoch, mechanism)
                deleted = await Weight.filter(epoch=epoch, mechanism=mechanism).delete()
                await self._mark_written(epoch, mechanism)
                await self._record_epoch(at, mechanism=mechanism)
        return deleted

    async def delete_weight(
        self, epoch: int, hotkey: str, *, at: EpochAt | None = None, mechanism: int = 0
    ) -> WeightEntry | None:
        """Delete the weight of `hotkey` in `epoch` (of `mechanism`); the weight it had (None:
        it had none)."""
        with self._active():
            async with in_transaction() as connection:
                # One statement: of two concurrent deletes one says what it deleted, the other
                # None; and no read before the write (SQLite's WAL refuses a transaction that
                # read, then writes after another process wrote).
                deleted = await deltas.delete(connection, hotkey, epoch, mechanism)
                await self._mark_written(epoch, mechanism)
                await self._record_epoch(at, mechanism=mechanism)
        if deleted is None:
            return None
        weight, updated_at = deleted
        return WeightEntry(hotkey, epoch, weight, updated_at, mechanism)

    async def set_weight(
        self,
        epoch: int,
        hotkey: str,
        weight: float,
        *,
        at: EpochAt | None = None,
        mechanism: int = 0,
    ) -> WeightEntry:
        _check_weight(weight, hotkey)
        now = _now()
        row = Weight(hotkey=hotkey, epoch=epoch, weight=weight, updated_at=now, mechanism=mechanism)
        with self._active():
            async with in_transaction():
                await _upsert([row])
                await self._mark_written(epoch, mechanism)
                await self._record_epoch(at, mechanism=mechanism)
            return WeightEntry(hotkey, epoch, weight, now, mechanism)

    async def add_weight(
        self,
        epoch: int,
        hotkey: str,
        delta: float,
        *,
        at: EpochAt | None = None,
        mechanism: int = 0,
    ) -> WeightEntry:
        """Add `delta` to the weight of `hotkey` in `epoch` (a missing weight counts as 0).

        Atomic: one statement adds it to the row it locks, guarded in the same statement so
        that the result stays >= 0 and finite (1.7e308 + 1.7e308 is infinity, in SQL as in
        Python); concurrent calls never lose one nor see a bound they did not cross
        (`deltas.add`).
        """
        problem = delta_problem(delta)
        if problem is not None:
            raise WeightRangeError(problem)
        now = _now()
        with self._active():
            async with in_transaction() as connection:
                weight = await deltas.add(connection, hotkey, epoch, delta, now, mechanism)
                await self._mark_written(epoch, mechanism)
                await self._record_epoch(at, mechanism=mechanism)
        return WeightEntry(hotkey, epoch, weight, now, mechanism)

    async def weights(self, epoch: int, mechanism: int = 0) -> list[WeightEntry]:
        """The weights of `epoch` (of `mechanism`), by hotkey."""
        with self._active():
            rows = await Weight.filter(epoch=epoch, mechanism=mechanism).order_by("hotkey")
        return [_entry(row) for row in rows]

    async def mechanisms_written(self) -> list[int]:
        """The mechanisms whose weights were ever written (or cleared), in order."""
        with self._active():
            found = await EpochMechanism.all().distinct().values_list("mechanism", flat=True)
        return sorted({int(m) for m in found})  # type: ignore[arg-type]

    async def latest_weights_epoch(self, at_or_before: int, mechanism: int = 0) -> int | None:
        """The latest epoch, starting at or before block `at_or_before`, that has weights of
        `mechanism`, or whose weights of it were written and then cleared (its vector is
        empty, not the one before)."""
        with self._active():
            kept = (
                await Weight.filter(epoch__lte=at_or_before, mechanism=mechanism)
                .order_by("-epoch")
                .first()
                .values_list("epoch", flat=True)
            )
            cleared = (
                await EpochMechanism.filter(start__lte=at_or_before, mechanism=mechanism)
                .order_by("-start")
                .first()
                .values_list("start", flat=True)
            )
        keys = [int(key) for key in (kept, cleared) if key is not None]  # type: ignore[arg-type]
        return max(keys) if keys else None

    async def recorded_epoch(self, start: int) -> EpochAt | None:
        """The epoch starting at block `start` as recorded at its latest write, and that write's
        block; None when nothing was written (nor committed) in it."""
        with self._active():
            row = await WeightsEpoch.get_or_none(start=start)
        return None if row is None else _recorded(row)

    async def recorded_epoch_at(self, block: int) -> EpochAt | None:
        """The recorded epoch containing block `block` (the newest starting at or before it)."""
        with self._active():
            row = (
                await WeightsEpoch.filter(start__lte=block, end__gte=block)
                .order_by("-start")
                .first()
            )
        return None if row is None else _recorded(row)
