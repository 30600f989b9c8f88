"""Two replicas on one simnet and one database (a SQLite file, then PostgreSQL): one leads the
committer, the other refuses `commitWeights` naming it and takes over within seconds when the
leader is killed; writes signed by the one hotkey from both all land."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pylon_gql.simnet import Simnet, SimnetConfig

from .replicas import Replica, as_process, in_process, replica_values, until

COMMIT = (
    "mutation { commitWeights { __typename "
    "... on CommitRefused { message reason leaderReplica } } }"
)
SET_COMMITMENT = (
    "mutation ($data: String!) { setCommitment(data: $data) { __typename "
    "... on SetCommitmentSuccess { commitment { data } } "
    "... on ChainRejected { message reason } } }"
)


@pytest.fixture
async def simnet() -> AsyncIterator[Simnet]:
    """A standalone simnet making a block every half second, reached over its websocket."""
    node = Simnet(SimnetConfig(port=0, block_time=0.5))
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


async def test_one_replica_leads_and_the_other_refuses_commit_weights_naming_it(
    simnet: Simnet, database_url: str, tmp_path: Path
) -> None:
    def values(name: str) -> dict:
        return replica_values(simnet.url, database_url, tmp_path, name, leader_retry_interval=0.2)

    async with in_process(values("replica-a")) as a, in_process(values("replica-b")) as b:
        await asyncio.sleep(1.0)  # several retry intervals: the follower keeps following
        leader, follower = await a.committer(), await b.committer()
        assert (leader["leader"], leader["replica"], leader["leaderReplica"]) == (
            True,
            "replica-a",
            "replica-a",
        )
        assert (follower["leader"], follower["replica"], follower["leaderReplica"]) == (
            False,
            "replica-b",
            "replica-a",
        )
        assert follower["state"] == "follower" and leader["state"] != "follower"

        refused = (await b.post(COMMIT))["data"]["commitWeights"]
        assert refused["__typename"] == "CommitRefused", refused
        assert refused["reason"] == "not_leader" and refused["leaderReplica"] == "replica-a"
        assert "replica-a" in refused["message"] and "commitWeights" in refused["message"]
        # The leader does not refuse for leadership (it has no weights to commit here).
        answer = (await a.post(COMMIT))["data"]["commitWeights"]
        assert answer.get("reason") != "not_leader", answer

        # The leader stops cleanly: the follower leads within its retry interval.
        assert b.services is not None and a.services is not None
        await a.services.stop()

        async def b_leads() -> bool:
            return (await b.committer())["leader"]

        await until(b_leads, "replica-b leads once replica-a stopped")
        now = await b.committer()
        assert now["leaderReplica"] == "replica-b" and now["state"] != "follower"


async def test_writes_signed_by_one_hotkey_from_both_replicas_all_land(
    simnet: Simnet, database_url: str, tmp_path: Path
) -> None:
    """Replicas in two processes (an in-process lock cannot serialise them): each write holds
    the signer's lock across replicas from its nonce read to its submission."""
    values = replica_values(simnet.url, database_url, tmp_path, "replica-proc")
    async with (
        as_process(values, tmp_path / "replica-proc.log") as other,
        in_process(replica_values(simnet.url, database_url, tmp_path, "replica-b")) as b,
    ):
        replicas: list[Replica] = [other.replica, b]

        async def commitment(n: int) -> dict:
            answer = await replicas[n % 2].post(SET_COMMITMENT, {"data": f"write-{n}"})
            return answer["data"]["setCommitment"]

        # Both replicas read the hotkey's nonce from the node's pool and submit at once.
        answers = await asyncio.gather(*(commitment(n) for n in range(16)))
    rejected = [answer for answer in answers if answer["__typename"] != "SetCommitmentSuccess"]
    assert rejected == []  # no "Priority is too low": one nonce each


async def test_a_killed_leader_process_is_replaced_within_seconds(
    simnet: Simnet, database_url: str, tmp_path: Path, record_property: object
) -> None:
    """The leader is a real `pylon-gql serve` killed with SIGKILL (its file lock and its
    database session go with it); the follower retries every PYLON_LEADER_RETRY_INTERVAL (the
    default, 3 s)."""
    leader_values = replica_values(
        simnet.url, database_url, tmp_path, "replica-proc", log_level="INFO"
    )
    async with as_process(leader_values, tmp_path / "replica-proc.log") as killed:
        leading = await killed.replica.committer()
        assert leading["leader"] and leading["replica"] == "replica-proc", leading
        metrics = (await killed.replica.http.get("/metrics")).text
        assert "\npylon_committer_leader 1.0\n" in metrics

        async with in_process(replica_values(simnet.url, database_url, tmp_path, "b")) as b:
            follower = await b.committer()
            assert not follower["leader"] and follower["leaderReplica"] == "replica-proc"

            killed.kill()
            started = time.monotonic()

            async def b_leads() -> bool:
                return (await b.committer())["leader"]

            await until(b_leads, "the follower leads once the leader was killed")
            failover = time.monotonic() - started
            print(f"failover after SIGKILL: {failover:.2f} s ({database_url.split(':')[0]})")
            record_property("failover_seconds", round(failover, 2))  # type: ignore[operator]
            now = await b.committer()
            assert now["replica"] == now["leaderReplica"] == "b" and now["state"] != "follower"
            refused = (await b.post(COMMIT))["data"]["commitWeights"]
            assert refused.get("reason") != "not_leader", refused
