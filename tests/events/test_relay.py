"""Two replicas' hubs on one real redis-server: what a subscriber on each sees, and outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from pylon_gql.broker import BrokeredHub
from pylon_gql.broker.codec import decode, encode
from pylon_gql.broker.redis_relay import RedisRelay
from pylon_gql.events import NewBlock, Subscription
from pylon_gql.models import BlockRef, CommitAttempt, CommitStatus
from tests.chain.fakes import eventually
from tests.e2e.conftest import free_port
from tests.redis import RedisServer

from .attempts import attempt, moves

PATIENCE = 60.0


@contextlib.asynccontextmanager
async def replica(url: str, channel: str) -> AsyncIterator[BrokeredHub]:
    hub = BrokeredHub(RedisRelay(url, channel, min_backoff=0.05, max_backoff=0.5))
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


def state(hub: BrokeredHub) -> object:
    return hub.status()["state"]


def relay(hub: BrokeredHub) -> RedisRelay:
    assert isinstance(hub.relay, RedisRelay)
    return hub.relay


async def connected(*hubs: BrokeredHub) -> None:
    await eventually(lambda: all(state(hub) == "connected" for hub in hubs), timeout=PATIENCE)


async def take(events: Subscription[CommitAttempt], count: int) -> list[CommitAttempt]:
    async with asyncio.timeout(PATIENCE):
        return [await anext(events) for _ in range(count)]


def pending(events: Subscription) -> int:
    return events._queue.qsize()


def test_an_event_survives_the_wire_as_it_was() -> None:
    for sent in [*moves(7), attempt(8, CommitStatus.FAILED)]:
        origin, received = decode(encode(sent, origin="replica-a"))
        assert (origin, received) == ("replica-a", sent)


async def test_a_commit_attempt_reaches_every_subscriber_of_every_replica_once(
    redis_url: str, channel: str
) -> None:
    async with replica(redis_url, channel) as a, replica(redis_url, channel) as b:
        await connected(a, b)
        on_a, on_b = a.subscribe(CommitAttempt), b.subscribe(CommitAttempt)
        blocks_on_b = b.subscribe(NewBlock)
        a.publish(NewBlock(BlockRef(5, "0x" + "00" * 32)))  # per replica: stays on A
        for event in moves(1):
            a.publish(event)
        # Each in order, once: A's from its own publish (not again from Redis), B's from Redis.
        assert await take(on_a, 3) == moves(1)
        assert await take(on_b, 3) == moves(1)
        # A marker sent after: whatever was doubled would come before it.
        marker = attempt(2)
        a.publish(marker)
        assert await take(on_a, 1) == [marker]
        assert await take(on_b, 1) == [marker]
        assert pending(on_a) == pending(on_b) == pending(blocks_on_b) == 0
        assert b.status()["received"] == 4 and a.status()["received"] == 0
        assert a.status()["sent"] == 4


async def test_cross_replica_delivery_takes_milliseconds(redis_url: str, channel: str) -> None:
    """Measured, not asserted on (a loaded machine): the log shows the figures."""
    async with replica(redis_url, channel) as a, replica(redis_url, channel) as b:
        await connected(a, b)
        on_b = b.subscribe(CommitAttempt)
        delays = []
        for commit_id in range(1, 101):
            sent_at = time.perf_counter()
            a.publish(attempt(commit_id))
            await take(on_b, 1)
            delays.append((time.perf_counter() - sent_at) * 1000)
        delays.sort()
        logging.getLogger(__name__).warning(
            "cross-replica delivery over Redis: median %.2f ms, p90 %.2f ms, max %.2f ms",
            statistics.median(delays),
            delays[89],
            delays[-1],
        )


async def test_redis_down_at_start_then_up(channel: str, caplog: pytest.LogCaptureFixture) -> None:
    from tests.redis import redis_binary

    server = RedisServer(redis_binary())  # on a port where nothing listens yet
    caplog.set_level(logging.INFO)
    async with replica(server.url, channel) as a, replica(server.url, channel) as b:
        await eventually(lambda: state(a) == state(b) == "down", timeout=PATIENCE)
        await eventually(lambda: relay(a).supervisor.restarts >= 4, timeout=PATIENCE)
        on_a = a.subscribe(CommitAttempt)
        a.publish(attempt(1))  # the broker is down: still delivered on A, and dropped for B
        assert await take(on_a, 1) == [attempt(1)]
        await eventually(lambda: a.status()["dropped"] == 1, timeout=PATIENCE)
        # One line per replica for the whole outage, however many retries.
        failures = [r for r in caplog.records if "relaying commit events" in r.getMessage()]
        assert [r.levelno for r in failures] == [logging.WARNING] * 2, failures
        assert "retrying" in failures[0].getMessage()
        assert relay(a).supervisor.last_error and relay(a).supervisor.restarts >= 4

        server.start()
        try:
            await connected(a, b)
            on_b = b.subscribe(CommitAttempt)
            a.publish(attempt(2))
            assert await take(on_b, 1) == [attempt(2)]
        finally:
            server.kill()


async def test_redis_killed_mid_run_local_goes_on_and_the_relay_comes_back(
    redis_server: RedisServer, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with replica(redis_server.url, channel) as a, replica(redis_server.url, channel) as b:
        await connected(a, b)
        on_a, on_b = a.subscribe(CommitAttempt), b.subscribe(CommitAttempt)
        a.publish(attempt(1))
        assert await take(on_b, 1) == [attempt(1)]
        assert await take(on_a, 1) == [attempt(1)]

        redis_server.kill()
        await eventually(lambda: state(a) == state(b) == "down", timeout=PATIENCE)
        for event in moves(2):
            a.publish(event)  # lost to B: at most once
        assert await take(on_a, 3) == moves(2)

        redis_server.start()
        await connected(a, b)
        assert any("is back" in r.getMessage() for r in caplog.records)
        a.publish(attempt(3))
        b.publish(attempt(4))  # both ways; each replica's own first (it never waits on Redis)
        assert sorted(await take(on_b, 2), key=lambda e: e.id) == [attempt(3), attempt(4)]
        assert sorted(await take(on_a, 2), key=lambda e: e.id) == [attempt(3), attempt(4)]
        assert pending(on_a) == pending(on_b) == 0


async def test_what_is_not_an_event_on_the_channel_is_skipped(
    redis_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with replica(redis_url, channel) as b:
        await connected(b)
        on_b = b.subscribe(CommitAttempt)
        raw = Redis.from_url(redis_url)
        try:
            for junk in (b"hello", b"[1, 2]", b'{"v": 99, "origin": "x", "kind": "CommitAttempt"}'):
                await raw.publish(channel, junk)
            await raw.publish(channel, encode(attempt(1), origin="another-replica"))
        finally:
            await raw.aclose()
        assert await take(on_b, 1) == [attempt(1)]
        assert b.unreadable == 3
        warnings = [r for r in caplog.records if "not events of this version" in r.getMessage()]
        assert len(warnings) == 1


async def test_a_redis_that_never_answers_is_found_out(channel: str) -> None:
    """A listener that accepts the connection and says nothing (a network that drops packets):
    the relay's PINGs find it out, it is down, and it says so."""
    silent_port = free_port()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.read()  # never answers; returns when the client hangs up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", silent_port)
    relay = RedisRelay(
        f"redis://127.0.0.1:{silent_port}/0", channel, ping_interval=0.2, connect_timeout=1.0
    )
    hub = BrokeredHub(relay)
    try:
        await hub.start()
        await eventually(lambda: state(hub) == "down", timeout=PATIENCE)
        assert relay.supervisor.last_error
    finally:
        await hub.stop()
        server.close()
        await server.wait_closed()
