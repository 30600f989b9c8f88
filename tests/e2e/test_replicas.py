"""Two replicas as an operator runs them: two `pylon-gql serve` processes on one standalone simnet,
one database (a SQLite file, then PostgreSQL) and one redis-server. Over several epochs of a
small tempo, exactly one attempt commits each epoch's weights and none fails as a duplicate;
a `weightCommit` subscriber on each replica sees every attempt go PENDING, IN_BLOCK, FINALIZED.
The leader is then killed (SIGKILL) in the middle of an epoch: the other replica leads within
seconds and the next windows still get exactly one commit each."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from pylon_gql.simnet import Simnet, SimnetConfig
from tests.leadership.replicas import (
    OWNER,
    VALIDATOR,
    Process,
    Replica,
    as_process,
    in_process,
    replica_values,
    until,
)

pytestmark = pytest.mark.timeout(900)

TEMPO = 9  # epochs of 10 blocks: 5 s at the simnet's block a half second
BLOCK_TIME = 0.5
COMMITS_BEFORE_KILL = 3
COMMITS_AFTER_KILL = 2

COMMITS = """query { weightCommits(last: 100) {
  id epoch { start } status error replica } }"""
SUBSCRIBE = "subscription { weightCommit { id status } }"


class Watcher:
    """A `weightCommit` subscriber on one replica (graphql-transport-ws), recording every move."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://") + "/graphql"
        self.seen: dict[int, list[str]] = defaultdict(list)
        self.subscribed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"authorization": f"Bearer {VALIDATOR}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            payload = {"query": SUBSCRIBE}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.subscribed.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":  # the server's keep-alive (graphql-transport-ws)
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                event = message["payload"]["data"]["weightCommit"]
                self.seen[event["id"]].append(event["status"])

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await self.task


@contextlib.asynccontextmanager
async def watching(url: str) -> AsyncIterator[Watcher]:
    watcher = Watcher(url)
    watcher.start()
    try:
        async with asyncio.timeout(60):
            await watcher.subscribed.wait()
        yield watcher
    finally:
        await watcher.stop()


async def post(process: Process, document: str, variables: Any = None, token: str = VALIDATOR):
    response = await process.replica.http.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]


async def commits(process: Process) -> list[dict[str, Any]]:
    """The shared commit log, oldest first."""
    return list(reversed((await post(process, COMMITS))["weightCommits"]))


def finalized(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in log if c["status"] == "FINALIZED"]


async def leader_of(*processes: Process) -> tuple[Process, Process]:
    """(leader, follower), once exactly one of them leads."""
    found: list[tuple[Process, Process]] = []

    async def one_leads() -> bool:
        a, b = processes
        leads = [(await p.replica.committer())["leader"] for p in processes]
        found[:] = (
            [(a, b)] if leads == [True, False] else [(b, a)] if leads == [False, True] else []
        )
        return bool(found)

    await until(one_leads, "exactly one replica leads")
    return found[0]


async def prepare_chain(process: Process) -> None:
    """Epochs of TEMPO blocks, no rate limit on weights, and weights to commit."""
    for name, value in (("tempo", TEMPO), ("weights_set_rate_limit", 0)):
        done = await post(
            process,
            """mutation ($name: String!, $value: JSON!) { setHyperparameter(name: $name,
            value: $value) { __typename ... on ChainRejected { message } } }""",
            {"name": name, "value": value},
            token=OWNER,
        )
        assert done["setHyperparameter"]["__typename"] == "SetHyperparameterSuccess", done
    neurons = await post(process, "{ metagraph { neurons(first: 4) { hotkey } } }")
    weights = [
        {"hotkey": n["hotkey"], "weight": float(i + 1)}
        for i, n in enumerate(neurons["metagraph"]["neurons"])
    ]
    written = await post(
        process,
        "mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }",
        {"w": weights},
    )
    assert written["setWeights"]["__typename"] == "SetWeightsSuccess", written


def assert_one_commit_per_epoch(log: list[dict[str, Any]]) -> None:
    by_epoch: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for attempt in log:
        by_epoch[attempt["epoch"]["start"]].append(attempt)
    for epoch, attempts in by_epoch.items():
        landed = [a for a in attempts if a["status"] == "FINALIZED"]
        assert len(landed) <= 1, f"epoch {epoch} committed {len(landed)} times: {attempts}"
    # No fee paid for nothing: no attempt failed because another had committed the epoch.
    failed = [a for a in log if a["status"] == "FAILED"]
    assert not failed, failed


async def test_two_replicas_commit_each_epoch_once_and_survive_the_leaders_death(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    simnet = Simnet(SimnetConfig(port=0, block_time=BLOCK_TIME))
    await simnet.start()
    try:
        common = {
            "redis_url": redis_url,
            "events_channel": f"pylon-gql-test:{uuid.uuid4().hex}",
            "commit_window_start_offset": 2,
            "commit_window_end_buffer": 2,
            "commit_retry_min_backoff": 0.1,
            "commit_retry_max_backoff": 0.5,
            "leader_retry_interval": 0.5,
            "log_level": "INFO",
        }

        def values(name: str) -> dict[str, Any]:
            return replica_values(simnet.url, database_url, tmp_path, name, **common)

        async with (
            as_process(values("replica-a"), tmp_path / "replica-a.log") as a,
            as_process(values("replica-b"), tmp_path / "replica-b.log") as b,
        ):
            leader, follower = await leader_of(a, b)
            leader_name = (await leader.replica.committer())["replica"]
            follower_name = (await follower.replica.committer())["replica"]
            async with (
                watching(leader.replica.url) as on_leader,
                watching(follower.replica.url) as on_follower,
            ):
                await prepare_chain(follower)  # writes through either replica reach the store

                async def landed(count: int) -> bool:
                    return len(finalized(await commits(follower))) >= count

                await until(lambda: landed(COMMITS_BEFORE_KILL), "3 commits finalized")
                log = await commits(follower)
                assert_one_commit_per_epoch(log)
                assert {c["replica"] for c in finalized(log)} == {leader_name}

                # Kill the leader in the middle of an epoch (outside its commit window).
                epoch = await post(follower, "{ epoch { start end } head { number } }")
                killed_at = time.monotonic()
                leader.kill()

                async def follower_leads() -> bool:
                    return (await follower.replica.committer())["leader"]

                await until(follower_leads, "the surviving replica leads")
                failover = time.monotonic() - killed_at
                print(
                    f"\nfailover after SIGKILL of the leader: {failover:.2f} s "
                    f"(killed at block {epoch['head']['number']})"
                )

                before = len(finalized(await commits(follower)))
                await until(
                    lambda: landed(before + COMMITS_AFTER_KILL), "2 commits after the failover"
                )
                log = await commits(follower)
                assert_one_commit_per_epoch(log)
                survivor_commits = [c for c in finalized(log)[before:]]
                assert {c["replica"] for c in survivor_commits} == {follower_name}
                print(
                    f"commits: {len(finalized(log))} finalized over "
                    f"{len({c['epoch']['start'] for c in log})} epochs, "
                    f"{len(log)} attempts"
                )

                # Every attempt's moves reached the survivor's subscriber, whichever replica
                # made it; the dead leader's subscriber saw every one made before it died.
                async def all_seen() -> bool:
                    return all(
                        on_follower.seen.get(c["id"], [])[-1:] == ["FINALIZED"]
                        for c in finalized(log)
                    )

                await until(all_seen, "the survivor's subscriber saw every commit finalized")
                for attempt in finalized(log):
                    assert on_follower.seen[attempt["id"]] == ["PENDING", "IN_BLOCK", "FINALIZED"]
                for attempt in finalized(log)[:COMMITS_BEFORE_KILL]:
                    assert on_leader.seen[attempt["id"]] == ["PENDING", "IN_BLOCK", "FINALIZED"]
    finally:
        await simnet.stop()


async def test_a_thousand_concurrent_increments_over_both_replicas_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    # No blocks: every increment falls in one epoch. One hotkey, the worst case for the upsert.
    simnet = Simnet(SimnetConfig(port=0, manual=True))
    await simnet.start()
    try:

        def values(name: str) -> dict[str, Any]:
            # The increments take turns on one row's lock: on a loaded machine the last wait
            # longer than the default 20 s request timeout; the count is what is tested.
            return replica_values(
                simnet.url,
                postgres_url,
                tmp_path,
                name,
                health_max_head_age=3600,
                request_timeout=120,
            )

        async with (
            in_process(values("replica-a")) as a,
            in_process(values("replica-b")) as b,
        ):
            found = await a.post("{ metagraph { neurons(first: 1) { hotkey } } }")
            hotkey = found["data"]["metagraph"]["neurons"][0]["hotkey"]
            increment = """mutation ($h: String!) { updateWeight(hotkey: $h, delta: 1) {
                __typename ... on ValidationError { message } } }"""

            async def one(replica: Replica) -> str:
                answer = await replica.post(increment, {"h": hotkey})
                return answer["data"]["updateWeight"]["__typename"]

            answers = await asyncio.gather(*(one(a if i % 2 else b) for i in range(1000)))
            assert answers.count("WeightSuccess") == 1000, set(answers)
            for replica in (a, b):
                weights = await replica.post("{ weights { weights { hotkey weight } } }")
                assert weights["data"]["weights"]["weights"] == [
                    {"hotkey": hotkey, "weight": 1000.0}
                ]
    finally:
        await simnet.stop()
