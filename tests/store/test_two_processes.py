"""Two server processes writing one database at once (replicas): on a SQLite file (its lock,
across processes) and on PostgreSQL, no delta is lost and a batch is never mixed with
another."""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.synchronize import Barrier

from pylon_gql.store import WeightStore, migrate

PROCESSES = 2
DELTAS = 250
HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


async def _writes(url: str, replica: int) -> int:
    store = WeightStore(url, replica=f"replica-{replica}")
    await store.open(apply_migrations=False, mark_interrupted=False)
    try:
        await asyncio.gather(*(store.add_weight(7, HOTKEY, 1.0) for _ in range(DELTAS)))
        batch = [(f"hotkey-{replica}-{i}", float(i)) for i in range(30)]
        for _ in range(20):
            await store.set_weights(8, batch, replace=True)
            await store.delete_weight(8, batch[0][0])
        return DELTAS
    finally:
        await store.close()


def _process(barrier: Barrier, url: str, replica: int) -> int:
    barrier.wait(timeout=60)
    return asyncio.run(_writes(url, replica))


async def test_two_processes_write_one_database_and_lose_nothing(database_url: str) -> None:
    await migrate(database_url)
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        barrier = context.Manager().Barrier(PROCESSES)
        results = [pool.apply_async(_process, (barrier, database_url, r)) for r in range(2)]
        done = [await asyncio.to_thread(result.get, 120) for result in results]
    assert done == [DELTAS] * PROCESSES
    store = WeightStore(database_url)
    await store.open(apply_migrations=False, mark_interrupted=False)
    try:
        (entry,) = await store.weights(7)
        assert entry.weight == DELTAS * PROCESSES
        # The epoch's vector is one process's last batch, less its first weight: never a mix.
        kept = {e.hotkey.rsplit("-", 1)[0] for e in await store.weights(8)}
        assert len(kept) == 1 and len(await store.weights(8)) == 29
    finally:
        await store.close()
