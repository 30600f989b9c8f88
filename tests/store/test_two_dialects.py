"""A SQLite store and a PostgreSQL store in one process, used at the same time (as CI's test
workers do: a session's server beside a test's replicas): each one's queries go to its own
database, however their awaits interleave."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pylon_gql.store import WeightStore

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


async def test_two_stores_of_two_dialects_used_at_once(postgres_url: str, tmp_path: Path) -> None:
    lite = WeightStore(f"sqlite://{tmp_path / 'lite.sqlite3'}")
    postgres = WeightStore(postgres_url)
    await lite.open()
    await postgres.open()
    try:
        # interleaved: each store's tasks await while the other's run
        await asyncio.gather(
            *(lite.add_weight(7, HOTKEY, 1.0) for _ in range(100)),
            *(postgres.add_weight(7, HOTKEY, 2.0) for _ in range(100)),
            *(lite.weights(7) for _ in range(20)),
            *(postgres.weights(7) for _ in range(20)),
        )
        (on_lite,) = await lite.weights(7)
        (on_postgres,) = await postgres.weights(7)
    finally:
        await lite.close()
        await postgres.close()
    assert on_lite.weight == 100.0
    assert on_postgres.weight == 200.0
