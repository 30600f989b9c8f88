"""Leadership: exactly one replica leads; when it stops, a follower leads within its retry
interval; a replica that cannot get ready to lead lets another try."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pylon_gql.leadership import Leadership, coordination_for

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
PATIENCE = 30.0


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(PATIENCE):
        while not condition():  # noqa: ASYNC110 - the loop's state, no event for it
            await asyncio.sleep(0.02)


class Replica:
    def __init__(self, database: Path, name: str, *, fail_elected: bool = False) -> None:
        self.events: list[str] = []
        self.fail_elected = fail_elected
        lease = coordination_for(f"sqlite://{database}").leader_lease(1, HOTKEY, name)
        self.leadership = Leadership(
            lease,
            replica=name,
            retry_interval=0.05,
            on_elected=self.elected,
            on_deposed=self.deposed,
        )

    async def elected(self) -> None:
        if self.fail_elected:
            self.events.append("failed")
            raise OSError("the database is down")
        self.events.append("elected")

    async def deposed(self) -> None:
        self.events.append("deposed")


async def test_one_leads_and_a_follower_takes_over_when_it_stops(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    replicas = [Replica(database, f"replica-{n}") for n in range(3)]
    for replica in replicas:
        await replica.leadership.start()
    try:
        # The first to try leads (at its start, before it serves); the others follow it.
        first = replicas[0].leadership
        assert first.leader and first.status() == {
            "leader": True,
            "replica": "replica-0",
            "leaderReplica": "replica-0",
        }
        assert replicas[0].events == ["elected"]
        for follower in replicas[1:]:
            assert not follower.leadership.leader
            assert follower.leadership.leader_replica == "replica-0"
            assert follower.events == []

        await first.stop()
        assert replicas[0].events == ["elected", "deposed"]
        await eventually(lambda: any(r.leadership.leader for r in replicas[1:]))
        await asyncio.sleep(0.3)  # several retry intervals: still exactly one
        leaders = [r for r in replicas[1:] if r.leadership.leader]
        assert len(leaders) == 1
        (new,) = leaders
        (other,) = [r for r in replicas[1:] if r is not new]
        await eventually(lambda: other.leadership.leader_replica == new.leadership.replica)
        assert new.events == ["elected"] and other.events == []
    finally:
        for replica in replicas:
            await replica.leadership.stop()


async def test_a_replica_that_cannot_get_ready_lets_another_lead(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    broken = Replica(database, "broken", fail_elected=True)
    healthy = Replica(database, "healthy")
    await broken.leadership.start()  # wins, fails to get ready, gives the lease back
    assert not broken.leadership.leader and broken.events == ["failed", "deposed"]
    await healthy.leadership.start()
    try:
        assert healthy.leadership.leader
        await asyncio.sleep(0.3)
        assert not broken.leadership.leader
        assert broken.leadership.leader_replica == "healthy"
    finally:
        await healthy.leadership.stop()
        await broken.leadership.stop()


async def test_the_gauge_says_whether_this_replica_leads(database_url: str) -> None:
    from pylon_gql import metrics

    coordination = coordination_for(database_url)
    assert coordination.kind in ("file", "postgres")

    async def nothing() -> None:
        return None

    leadership = Leadership(
        coordination.leader_lease(1, HOTKEY, "only"),
        replica="only",
        retry_interval=0.05,
        on_elected=nothing,
        on_deposed=nothing,
    )
    await leadership.start()
    try:
        assert leadership.leader
        assert metrics.REGISTRY.get_sample_value("pylon_committer_leader") == 1
    finally:
        await leadership.stop()
        await coordination.close()
    assert metrics.REGISTRY.get_sample_value("pylon_committer_leader") == 0
