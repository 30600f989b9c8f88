"""Two replicas' hubs and stores on one real PostgreSQL database, no Redis: the store sends each
change of the commit log with NOTIFY in the transaction that records it, and the other replica's
subscribers hear it; nothing for a transaction rolled back; a dropped LISTEN session reconnects."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg

from pylon_gql.broker import BrokeredHub, event_hub
from pylon_gql.broker.postgres_relay import APPLICATION_NAME, PostgresRelay
from pylon_gql.events import Subscription
from pylon_gql.models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger
from pylon_gql.store import EpochClaimed, WeightStore
from tests.chain.fakes import eventually
from tests.e2e.conftest import settings_for

PATIENCE = 60.0


@contextlib.asynccontextmanager
async def replica(
    url: str, channel: str, name: str
) -> AsyncIterator[tuple[BrokeredHub, WeightStore]]:
    """A replica's hub and store, wired as `Services` wires them."""
    hub = BrokeredHub(PostgresRelay(url, channel, min_backoff=0.05, max_backoff=0.5))
    store = WeightStore(url, replica=name)
    hub.attach_store(store)
    await store.open(mark_interrupted=False)
    await hub.start()
    try:
        yield hub, store
    finally:
        await hub.stop()
        await store.close()


async def connected(*hubs: BrokeredHub) -> None:
    await eventually(lambda: all(h.status()["state"] == "connected" for h in hubs), PATIENCE)


async def start(store: WeightStore, epoch: int = 90, auto: bool = False) -> CommitAttempt:
    return await store.start_commit(
        block=epoch + 10,
        epoch=epoch,
        weights_epoch=epoch,
        netuid=2,
        mode=CommitMode.COMMIT_REVEAL,
        trigger=CommitTrigger.AUTO if auto else CommitTrigger.MANUAL,
        uid_count=4,
        digest="ab" * 32,
    )


async def take(events: Subscription[CommitAttempt], count: int) -> list[CommitAttempt]:
    async with asyncio.timeout(PATIENCE):
        return [await anext(events) for _ in range(count)]


def seen(attempts: list[CommitAttempt]) -> list[tuple[int, str]]:
    return [(a.id, a.status.name) for a in attempts]


async def test_a_change_of_the_log_on_one_replica_reaches_the_other(
    postgres_url: str, channel: str
) -> None:
    async with (
        replica(postgres_url, channel, "a") as (a, store_a),
        replica(postgres_url, channel, "b") as (b, _),
    ):
        await connected(a, b)
        on_a, on_b = a.subscribe(CommitAttempt), b.subscribe(CommitAttempt)
        moves = [await start(store_a)]
        moves.append(await store_a.update_commit(moves[0].id, CommitStatus.IN_BLOCK, block=101))
        moves.append(await store_a.update_commit(moves[0].id, CommitStatus.FINALIZED, block=101))
        for move in moves:
            a.publish(move)  # as the committer does, after each store call
        assert await take(on_b, 3) == moves  # as the store read them back: equal
        assert await take(on_a, 3) == moves
        # A's own NOTIFYs came back to A too: skipped, A's subscribers had them at publish.
        marker = await start(store_a)
        a.publish(marker)
        assert await take(on_a, 1) == [marker] and await take(on_b, 1) == [marker]
        assert a.status()["received"] == 0 and b.status()["received"] == 4


async def test_a_transaction_rolled_back_sends_nothing(postgres_url: str, channel: str) -> None:
    async with (
        replica(postgres_url, channel, "a") as (a, store_a),
        replica(postgres_url, channel, "b") as (b, store_b),
    ):
        await connected(a, b)
        on_b = b.subscribe(CommitAttempt)
        claimed = await start(store_a, epoch=90, auto=True)
        try:
            await start(store_b, epoch=90, auto=True)  # the epoch's claim is taken
        except EpochClaimed:
            pass
        else:
            raise AssertionError("a second automatic attempt in one epoch was recorded")
        marker = await start(store_a, epoch=100)
        assert seen(await take(on_b, 2)) == [(claimed.id, "PENDING"), (marker.id, "PENDING")]


async def test_a_dropped_listen_session_comes_back(postgres_url: str, channel: str) -> None:
    async with (
        replica(postgres_url, channel, "a") as (a, store_a),
        replica(postgres_url, channel, "b") as (b, _),
    ):
        await connected(a, b)
        on_b = b.subscribe(CommitAttempt)
        admin = await asyncpg.connect(postgres_url)
        try:
            # What a failover or an operator's pg_terminate_backend does to the listeners.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            )
        finally:
            await admin.close()
        relay = b.relay
        assert isinstance(relay, PostgresRelay)
        await eventually(lambda: relay.supervisor.restarts >= 1, PATIENCE)
        await connected(a, b)
        after = await start(store_a)
        assert seen(await take(on_b, 1)) == [(after.id, "PENDING")]


def test_the_store_decides_the_broker(postgres_url: str) -> None:
    """PostgreSQL without Redis: LISTEN/NOTIFY; with Redis: Redis; SQLite alone: none."""
    on_postgres = event_hub(settings_for(database_url=postgres_url))
    assert on_postgres.status()["broker"] == "postgres"
    with_redis = event_hub(
        settings_for(database_url=postgres_url, redis_url="redis://127.0.0.1:1/0")
    )
    assert with_redis.status()["broker"] == "redis"
    assert event_hub(settings_for(database_url="sqlite://:memory:")).status()["broker"] is None
    too_long = event_hub(settings_for(database_url=postgres_url, events_channel="x" * 64))
    assert too_long.status()["state"] == "unavailable"
    assert "63" in str(too_long.status()["lastError"])
