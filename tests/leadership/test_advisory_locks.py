"""Leases and signer locks on PostgreSQL: advisory locks, freed when the session ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest

from pylon_gql.chain.errors import ChainUnavailable
from pylon_gql.leadership import coordination_for
from pylon_gql.leadership.postgres import AdvisoryCoordination, connection_options

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
PATIENCE = 30.0


@contextlib.asynccontextmanager
async def coordinations(url: str, count: int) -> AsyncIterator[list[AdvisoryCoordination]]:
    made = [coordination_for(url) for _ in range(count)]
    assert all(isinstance(c, AdvisoryCoordination) for c in made)
    try:
        yield made  # type: ignore[misc]
    finally:
        for coordination in made:
            await coordination.close()


async def test_one_replica_holds_the_lease_and_the_others_see_which(postgres_url: str) -> None:
    async with coordinations(postgres_url, 2) as (a, b):
        first = a.leader_lease(1, HOTKEY, "replica-a")
        second = b.leader_lease(1, HOTKEY, "replica-b")
        try:
            assert await first.acquire()
            assert await first.acquire()  # already held: still held, once
            assert not await second.acquire()
            assert await second.holder() == "replica-a"
            assert await first.held() and not await second.held()
            assert await second.running("replica-a") and not await second.running("gone")
            await first.release()
            assert await second.holder() is None
            assert await second.acquire()
            assert await first.holder() == "replica-b"
        finally:
            await first.release()
            await second.release()


async def test_a_leader_whose_session_ends_loses_the_lease(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with coordinations(postgres_url, 2) as (a, b):
        leader = a.leader_lease(1, HOTKEY, "replica-a")
        follower = b.leader_lease(1, HOTKEY, "replica-b")
        admin = await asyncpg.connect(**connection_options(postgres_url))
        try:
            assert await leader.acquire()
            # What a killed process, or a dropped connection, does to the session.
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'pylon-gql replica-a' "
                # This test's database only: CI's one server runs other tests' replica-a too.
                "AND datname = current_database()"
            )
            assert ended == 1
            assert await follower.acquire()
            assert not await follower.running("replica-a")  # its session is gone
            with caplog.at_level(logging.ERROR, "pylon_gql.leadership"):
                assert not await leader.held()
            assert "lost the lease of the committer of subnet 1" in caplog.text
            assert await leader.holder() == "replica-b"  # a new session, to ask
            assert not await leader.acquire()
        finally:
            await admin.close()
            await leader.release()
            await follower.release()


async def test_writes_signed_by_one_key_take_turns_across_replicas(postgres_url: str) -> None:
    async with coordinations(postgres_url, 3) as replicas:
        inside = 0
        most = 0
        done: list[int] = []

        async def write(n: int) -> None:
            nonlocal inside, most
            async with replicas[n % 3].signers.hold(HOTKEY):
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0.01)  # the nonce read and the submission
                done.append(n)
                inside -= 1

        await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(12))), PATIENCE)
        assert most == 1 and sorted(done) == list(range(12))

        # A write that gives up waiting (its timeout) leaves the lock to the next one.
        async with replicas[0].signers.hold(HOTKEY):
            waiting = asyncio.create_task(replicas[1].signers.hold(HOTKEY).__aenter__())
            await asyncio.sleep(0.2)
            assert not waiting.done()
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        async with asyncio.timeout(PATIENCE):
            async with replicas[2].signers.hold(HOTKEY):
                pass
            async with replicas[1].signers.hold(HOTKEY):
                pass


async def test_a_write_is_not_sent_when_its_lock_cannot_be_taken(postgres_url: str) -> None:
    options = connection_options(postgres_url)
    unreachable = f"postgres://postgres@127.0.0.1:1/{options['database']}"
    async with coordinations(unreachable, 1) as (only,):
        with pytest.raises(ChainUnavailable, match="nothing was sent, retry"):
            async with only.signers.hold(HOTKEY):
                pytest.fail("sent without the signer's lock")
