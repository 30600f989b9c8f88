"""Two `pylon-gql` servers (uvicorn on free ports) on one standalone simnet, one SQLite file and
one real redis-server: a `weightCommit` subscriber on either replica sees the commits made on
the other, `fromId` replays what a client missed on any replica, and a Redis outage loses live
events of the other replica only (its own go on), until Redis is back. On PostgreSQL, the same
without Redis (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from pylon_gql_client import AsyncPylonClient

from pylon_gql.keys import DEV_OWNER_WALLET, DEV_VALIDATOR_WALLET, write_dev_wallets
from pylon_gql.models import CommitAttempt
from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig
from tests.chain.fakes import eventually
from tests.e2e.conftest import PATIENCE, graphql, running, settings_for
from tests.redis import RedisServer

pytestmark = pytest.mark.timeout(600)

NETUID = 2  # the simnet's subnet where its dev validator (//Bob) holds a uid
VALIDATOR = "events-validator-token"
OWNER = "events-owner-token"
FINAL = ("FINALIZED", "FAILED")
SUBSCRIBE = """subscription ($fromId: Int) { weightCommit(fromId: $fromId) { id status } }"""


@dataclass
class Replica:
    name: str
    url: str
    http: httpx.AsyncClient
    services: Services

    async def post(self, document: str, variables: dict[str, Any] | None = None) -> dict:
        return await graphql(self.http, document, variables)

    async def events_state(self) -> str:
        return (await self.http.get("/health")).json()["events"]["state"]

    async def until_events(self, state: str) -> None:
        async with asyncio.timeout(PATIENCE):
            while await self.events_state() != state:  # noqa: ASYNC110 - asked over HTTP
                await asyncio.sleep(0.05)

    async def until_leads(self) -> None:
        """Until this replica holds the committer's lease (/health `committer.leader`)."""
        async with asyncio.timeout(PATIENCE):
            while True:
                committer = (await self.http.get("/health")).json()["committer"]
                if committer.get("leader", True):
                    return
                await asyncio.sleep(0.05)

    def subscribers(self) -> int:
        return self.services.hub.subscribers(CommitAttempt)

    async def commit(self) -> int:
        """`commitWeights` on this replica; the attempt's id."""
        result = await self.post(
            "mutation { commitWeights { __typename ... on CommitWeightsSuccess { commit { id } } "
            "... on CommitRefused { message reason } } }"
        )
        started = result["data"]["commitWeights"]
        assert started["__typename"] == "CommitWeightsSuccess", started
        return started["commit"]["id"]

    async def landed(self, commit_id: int) -> str:
        """Until the commit log says attempt `commit_id` is over; its status."""
        async with asyncio.timeout(PATIENCE):
            while True:
                result = await self.post("{ weightCommits(last: 50) { id status } }")
                for commit in result["data"]["weightCommits"]:
                    if commit["id"] == commit_id and commit["status"] in FINAL:
                        return commit["status"]
                await asyncio.sleep(0.1)


class Subscriber:
    """A graphql-transport-ws client of `weightCommit`, as a dashboard would run it."""

    def __init__(self, replica: Replica, ws: Any) -> None:
        self.replica = replica
        self.ws = ws

    async def next(self) -> tuple[int, str]:
        async with asyncio.timeout(PATIENCE):
            message = json.loads(await self.ws.recv())
        assert message["type"] == "next", message
        commit = message["payload"]["data"]["weightCommit"]
        return commit["id"], commit["status"]

    async def until_final(self, commit_id: int) -> list[str]:
        """The statuses of attempt `commit_id`, up to its final one (nothing else between)."""
        statuses: list[str] = []
        while not statuses or statuses[-1] not in FINAL:
            got, status = await self.next()
            assert got == commit_id, (got, status, statuses)
            statuses.append(status)
        return statuses

    async def quiet(self) -> bool:
        """Nothing more arrived (asked after a marker that would follow anything doubled)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                message = await self.ws.recv()
                raise AssertionError(f"unexpected message: {message}")
        return True


@contextlib.asynccontextmanager
async def subscribed(replica: Replica, from_id: int | None = None) -> AsyncIterator[Subscriber]:
    before = replica.subscribers()
    url = replica.url.replace("http", "ws") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"authorization": f"Bearer {VALIDATOR}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": SUBSCRIBE, "variables": {"fromId": from_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        # Live from here on: the server subscribed to the hub before it reads the log.
        await eventually(lambda: replica.subscribers() > before, timeout=PATIENCE)
        yield Subscriber(replica, ws)


@contextlib.asynccontextmanager
async def serve(name: str, values: dict[str, Any]) -> AsyncIterator[Replica]:
    settings = settings_for(**{**values, "replica_id": name, "data_dir": values["data_dir"] / name})
    services = Services(settings)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(
            base_url=url, timeout=PATIENCE, headers={"authorization": f"Bearer {VALIDATOR}"}
        ) as http,
    ):
        async with asyncio.timeout(PATIENCE):
            while (await http.get("/health")).status_code != 200:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        yield Replica(name, url, http, services)


@contextlib.asynccontextmanager
async def two_replicas(
    tmp_path: Path, redis_url: str | None, channel: str, database_url: str | None = None
) -> AsyncIterator[tuple[Replica, Replica]]:
    """A leads (started first: it commits); B follows; both on the simnet, one database (a
    SQLite file unless given) and, when given, Redis."""
    wallets = tmp_path / "wallets"
    write_dev_wallets(wallets)
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    async with Simnet(config) as simnet:
        values: dict[str, Any] = {
            "network": simnet.url,
            "netuid": NETUID,
            "database_url": database_url or f"sqlite://{tmp_path / 'shared.sqlite3'}",
            "data_dir": tmp_path,
            "wallet_name": DEV_VALIDATOR_WALLET,
            "wallet_path": wallets,
            "owner_wallet_name": DEV_OWNER_WALLET,
            "owner_wallet_path": wallets,
            "validator_tokens": VALIDATOR,
            "owner_tokens": OWNER,
            "auto_commit": False,  # commits come from commitWeights only
            **({} if redis_url is None else {"redis_url": redis_url}),
            "events_channel": channel,
            "health_max_head_age": 24 * 3600,  # blocks come only when a commit makes them
        }
        async with serve("replica-a", values) as a:
            await a.until_leads()  # before B starts, so that A commits
            async with serve("replica-b", values) as b:
                await a.until_events("connected")
                await b.until_events("connected")
                await ready_to_commit(a)
                yield a, b


async def ready_to_commit(a: Replica) -> None:
    """No weights rate limit (commits in a row), and weights to commit."""
    limit = await a.http.post(
        "/graphql",
        json={
            "query": 'mutation { setHyperparameter(name: "weights_set_rate_limit", value: 0) '
            "{ __typename ... on SetHyperparameterSuccess { value } } }"
        },
        headers={"authorization": f"Bearer {OWNER}"},
    )
    assert limit.json()["data"]["setHyperparameter"]["value"] == 0, limit.text
    neurons = await a.post("{ metagraph { neurons(first: 4) { hotkey } } }")
    hotkeys = [n["hotkey"] for n in neurons["data"]["metagraph"]["neurons"]]
    written = await a.post(
        "mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }",
        {"w": [{"hotkey": h, "weight": float(i + 1)} for i, h in enumerate(hotkeys)]},
    )
    assert written["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", written


async def test_a_commit_on_one_replica_reaches_subscribers_on_both_once(
    tmp_path: Path, redis_url: str, channel: str
) -> None:
    async with (
        two_replicas(tmp_path, redis_url, channel) as (a, b),
        subscribed(a) as on_a,
        subscribed(b) as on_b,
    ):
        first = await a.commit()
        assert await on_b.until_final(first) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        assert await on_a.until_final(first) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        # The next attempt comes next on both: nothing of the first came twice.
        second = await a.commit()
        assert await on_b.next() == (second, "PENDING")
        assert await on_a.next() == (second, "PENDING")
        assert await on_b.until_final(second) == ["IN_BLOCK", "FINALIZED"]
        assert await on_a.until_final(second) == ["IN_BLOCK", "FINALIZED"]
        assert await on_b.quiet() and await on_a.quiet()


async def test_a_client_that_reconnects_to_the_other_replica_with_from_id_loses_nothing(
    tmp_path: Path, redis_url: str, channel: str
) -> None:
    async with two_replicas(tmp_path, redis_url, channel) as (a, b):
        async with subscribed(b) as on_b:
            first = await a.commit()
            assert await on_b.next() == (first, "PENDING")
        # Gone after PENDING; meanwhile the first lands and another attempt is made.
        assert await a.landed(first) == "FINALIZED"
        second = await a.commit()
        assert await a.landed(second) == "FINALIZED"
        # Back, on the other replica, from the attempt it has not seen end: each as it is now,
        # then live.
        async with subscribed(a, from_id=first) as again:
            assert await again.next() == (first, "FINALIZED")
            assert await again.next() == (second, "FINALIZED")
            third = await a.commit()
            assert await again.until_final(third) == ["PENDING", "IN_BLOCK", "FINALIZED"]
            assert await again.quiet()
        # The client library asks the same of replica B.
        async with AsyncPylonClient(b.url, VALIDATOR) as client:
            stream = client.subscribe_weight_commits(from_id=second)
            async with contextlib.aclosing(stream), asyncio.timeout(PATIENCE):
                replayed = [await anext(stream) for _ in range(2)]
        assert [(c.id, c.status) for c in replayed] == [(second, "FINALIZED"), (third, "FINALIZED")]


async def test_redis_killed_mid_stream_then_back(
    tmp_path: Path, redis_server: RedisServer, channel: str
) -> None:
    async with (
        two_replicas(tmp_path, redis_server.url, channel) as (a, b),
        subscribed(a) as on_a,
        subscribed(b) as on_b,
    ):
        first = await a.commit()
        assert await on_b.until_final(first) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        assert await on_a.until_final(first) == ["PENDING", "IN_BLOCK", "FINALIZED"]

        redis_server.kill()
        await a.until_events("down")
        await b.until_events("down")
        missed = await a.commit()
        # A's own subscriber still sees A's commits; B's misses them (at most once).
        assert await on_a.until_final(missed) == ["PENDING", "IN_BLOCK", "FINALIZED"]

        redis_server.start()
        await a.until_events("connected")
        await b.until_events("connected")
        after = await a.commit()
        # The same websocket subscription on B goes on with the commits made after.
        assert await on_b.until_final(after) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        assert await on_a.until_final(after) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        # And what B's subscriber missed, it gets with fromId.
        async with subscribed(b, from_id=missed) as catch_up:
            assert await catch_up.next() == (missed, "FINALIZED")
            assert await catch_up.next() == (after, "FINALIZED")


async def test_on_postgresql_without_redis_the_other_replica_hears_the_commit(
    tmp_path: Path, postgres_url: str, channel: str
) -> None:
    async with (
        two_replicas(tmp_path, None, channel, database_url=postgres_url) as (a, b),
        subscribed(b) as on_b,
    ):
        assert (await b.http.get("/health")).json()["events"]["broker"] == "postgres"
        first = await a.commit()
        assert await on_b.until_final(first) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        second = await a.commit()
        assert await on_b.until_final(second) == ["PENDING", "IN_BLOCK", "FINALIZED"]
        assert await on_b.quiet()
        async with subscribed(b, from_id=first) as again:
            assert await again.next() == (first, "FINALIZED")
            assert await again.next() == (second, "FINALIZED")
