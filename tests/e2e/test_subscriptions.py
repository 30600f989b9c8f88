"""Subscriptions over real websockets: gql's websockets transport on graphql-transport-ws.

The server follows the session's simnet in manual mode: a test produces the blocks it needs.
Tests that need other websocket limits run a second app on the same services (same chain,
same hub) with those settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection

from pylon_gql.auth import Role
from pylon_gql.events import (
    CommitmentChange,
    EventHub,
    NeuronRegistration,
    NewBlock,
    NewEpoch,
)
from pylon_gql.models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger
from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig

from .conftest import PATIENCE, Served, graphql, running, settings_for, wait_for_health

TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL  # "graphql-transport-ws"
LEGACY_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL  # "graphql-ws"
VALIDATOR_TOKEN = "validator-secret"
VALIDATOR_HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # the simnet's //Bob

NEW_BLOCK = GraphQLRequest(
    "subscription($from: Int) { newBlock(fromBlock: $from) "
    "{ number hash parentHash timestamp epoch { index } } }"
)


class Borrowed:
    """The session's services under a second app: its lifespan leaves them running."""

    def __init__(self, services: Services) -> None:
        self.services = services
        #: No write path and no dev tokens: this app only serves reads and subscriptions.
        self.writes = None
        self.dev_tokens: dict[Role, str] = {}

    @property
    def reader(self) -> Any:
        return self.services.reader

    @property
    def hub(self) -> EventHub:
        return self.services.hub

    def head_age(self) -> float | None:
        return self.services.head_age()

    def status(self) -> Mapping[str, Any]:
        return self.services.status()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@contextlib.asynccontextmanager
async def app_with(served: Served, **settings: Any) -> AsyncIterator[str]:
    """Another app over the session's chain, with these settings; yields its websocket URL."""
    config = settings_for(network="sim", validator_tokens=VALIDATOR_TOKEN, **settings)
    async with running(config, Borrowed(served.services)) as url:  # type: ignore[arg-type]
        yield url.replace("http://", "ws://") + "/graphql"


def ws_url(served: Served) -> str:
    return served.url.replace("http://", "ws://") + "/graphql"


def simnet_of(served: Served) -> Simnet:
    assert served.services.simnet is not None
    return served.services.simnet


@contextlib.asynccontextmanager
async def session(
    url: str,
    *,
    subprotocol: str = TRANSPORT_WS,
    init_payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[AsyncClientSession]:
    transport = WebsocketsTransport(
        url=url, subprotocols=[subprotocol], init_payload=init_payload or {}, headers=headers
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as client:
        yield client


async def finalize(simnet: Simnet, count: int) -> int:
    """Produce blocks until `count` more are finalized (the simnet finalizes with a lag)."""
    target = simnet.finalized_number + count
    while simnet.finalized_number < target:
        await simnet.produce_blocks(1)
    return target


def new_block(from_block: int | None) -> GraphQLRequest:
    return GraphQLRequest(NEW_BLOCK.document, variable_values={"from": from_block})


async def head_number(served: Served) -> int:
    return (await served.query("{ head { number } }"))["data"]["head"]["number"]


async def wait_until(predicate: Any, what: str) -> None:
    try:
        async with asyncio.timeout(PATIENCE):
            while not predicate():  # noqa: ASYNC110 - polling state the test does not own
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def announced(served: Served) -> int:
    """The last block the server's follower announced."""
    head = served.services.reader.head
    return -1 if head is None else head.number


def assert_consecutive(blocks: list[dict[str, Any]], first: int, last: int) -> None:
    assert [b["number"] for b in blocks] == list(range(first, last + 1))
    for parent, child in itertools.pairwise(blocks):
        assert child["parentHash"] == parent["hash"]


async def test_thirty_blocks_arrive_in_order_each_once(served: Served) -> None:
    simnet = simnet_of(served)
    start = await head_number(served) + 1
    received: list[dict[str, Any]] = []
    async with session(ws_url(served)) as client:
        stream = client.subscribe(new_block(start))
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            await finalize(simnet, 30)
            async with asyncio.timeout(PATIENCE):
                async for result in stream:
                    received.append(result["newBlock"])  # type: ignore[index]
                    if len(received) == 30:
                        break
            # One more block: the next answer is that block, not a repeat of an earlier one.
            await finalize(simnet, 1)
            after = await asyncio.wait_for(anext(stream), PATIENCE)  # type: ignore[arg-type]
    assert_consecutive(received, start, start + 29)
    assert after["newBlock"]["number"] == start + 30  # type: ignore[index]
    assert all(b["timestamp"] and b["epoch"]["index"] > 0 for b in received)


async def test_a_client_resumes_from_the_next_block_without_gap_or_repeat(served: Served) -> None:
    simnet = simnet_of(served)
    start = await head_number(served) + 1
    last = start + 15

    async def produce() -> None:
        # Blocks keep coming, before, during and after the client's reconnection.
        for _ in range(last - start + 1):
            number = await finalize(simnet, 1)
            await wait_until(lambda n=number: announced(served) >= n, f"block {number}")
            await asyncio.sleep(0.05)

    first_part: list[dict[str, Any]] = []
    second_part: list[dict[str, Any]] = []
    producer = asyncio.create_task(produce())
    try:
        async with session(ws_url(served)) as client:
            stream = client.subscribe(new_block(start))
            async with contextlib.aclosing(stream), asyncio.timeout(PATIENCE):  # type: ignore[type-var]
                async for result in stream:
                    first_part.append(result["newBlock"])  # type: ignore[index]
                    if len(first_part) == 5:
                        break
        # Disconnected after block n; blocks n+1, n+2, ... are produced meanwhile.
        await asyncio.sleep(0.3)
        n = first_part[-1]["number"]
        produced_while_away = simnet.finalized_number > n
        still_producing = not producer.done()
        async with session(ws_url(served)) as client:
            stream = client.subscribe(new_block(n + 1))
            async with contextlib.aclosing(stream), asyncio.timeout(PATIENCE):  # type: ignore[type-var]
                async for result in stream:
                    second_part.append(result["newBlock"])  # type: ignore[index]
                    if second_part[-1]["number"] >= last:
                        break
        assert produced_while_away and still_producing
    finally:
        await producer
    assert_consecutive(first_part + second_part, start, last)


async def test_500_subscribers_get_every_block_and_a_stalled_one_is_closed(
    served: Served,
) -> None:
    simnet = simnet_of(served)
    hub = served.services.hub
    connections, per_connection, lag = 10, 50, 4
    subscribers = connections * per_connection
    async with app_with(
        served,
        ws_max_subscriptions=100,
        subscriber_max_lag=lag,
        ws_send_timeout=PATIENCE,
        **FAT_LIMITS,
    ) as url:
        start = await head_number(served) + 1
        received: list[list[int]] = [[] for _ in range(subscribers)]

        async def subscriber(client: AsyncClientSession, index: int) -> None:
            stream = client.subscribe(new_block(start))
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for result in stream:
                    received[index].append(result["newBlock"]["number"])  # type: ignore[index]

        async def connection(number: int) -> None:
            async with session(url) as client:
                tasks = [
                    asyncio.create_task(subscriber(client, number * per_connection + i))
                    for i in range(per_connection)
                ]
                try:
                    await asyncio.Event().wait()
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)

        baseline = hub.subscribers(NewBlock)
        clients = [asyncio.create_task(connection(n)) for n in range(connections)]
        stalled: ClientConnection | None = None
        try:
            await wait_until(lambda: hub.subscribers(NewBlock) == baseline + subscribers, "500")

            async def deliver(count: int) -> list[float]:
                """Produce `count` blocks one by one; seconds until all 500 had each."""
                times = []
                for _ in range(count):
                    started = time.perf_counter()
                    number = await finalize(simnet, 1)
                    expected = number - start + 1
                    await wait_until(
                        lambda e=expected: all(len(r) >= e for r in received), f"block {number}"
                    )
                    times.append(time.perf_counter() - started)
                return times

            without_stall = await deliver(5)
            stalled, stalled_ids = await stalled_connection(url, await head_number(served) + 1)
            await wait_until(
                lambda: hub.subscribers(NewBlock) == baseline + subscribers + len(stalled_ids),
                "the stalled connection's subscriptions",
            )
            with_stall = await deliver(12)
            # The stalled subscriptions fell `lag` blocks behind: the hub dropped them.
            await wait_until(
                lambda: hub.subscribers(NewBlock) == baseline + subscribers, "the stall to be cut"
            )
            print(
                f"\n500 subscribers, mean seconds from production to the last receipt: "
                f"{sum(without_stall) / len(without_stall):.3f} without a stalled connection, "
                f"{sum(with_stall) / len(with_stall):.3f} with one"
            )
            end = await head_number(served)
            for numbers in received:
                assert numbers == list(range(start, end + 1))

            # The stalled client reads again: each of its subscriptions got blocks in order,
            # then an error naming the block to resubscribe from, then its end.
            outcome = await read_until_complete(stalled, stalled_ids)
            for id_ in stalled_ids:
                blocks, error = outcome[id_]
                first = start + 5
                assert blocks == list(range(first, first + len(blocks)))
                assert len(blocks) < 12
                assert error["extensions"] == {
                    "code": "UNAVAILABLE",
                    "fromBlock": first + len(blocks),
                }
        finally:
            if stalled is not None:
                await stalled.close()
            for task in clients:
                task.cancel()
            await asyncio.gather(*clients, return_exceptions=True)


#: About 30 kB a block, so that a connection that reads nothing fills the socket buffers
#: (megabytes on loopback) within a few blocks; the app serving it allows the aliases.
FAT_BLOCK = (
    "subscription($from: Int) { newBlock(fromBlock: $from) { number "
    + " ".join(f"h{i}: hash" for i in range(400))
    + " } }"
)
FAT_LIMITS = {"max_aliases": 500, "max_tokens": 5000}


async def stalled_connection(
    url: str, from_block: int, subscriptions: int = 100
) -> tuple[ClientConnection, list[str]]:
    """A client that subscribes, then reads nothing: a small receive buffer that fills up."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    ws = await websockets.connect(
        url,
        sock=sock,
        subprotocols=[TRANSPORT_WS],  # type: ignore[list-item]
        max_queue=1,
        ping_interval=None,
        compression=None,  # else 400 copies of a hash take a few hundred bytes on the wire
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    ids = [f"s{i}" for i in range(subscriptions)]
    for id_ in ids:
        payload = {"query": FAT_BLOCK, "variables": {"from": from_block}}
        await ws.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))
    return ws, ids


async def read_until_complete(
    ws: ClientConnection, ids: list[str]
) -> dict[str, tuple[list[int], dict[str, Any]]]:
    """Per subscription: the block numbers it got, and the error it ended with."""
    blocks: dict[str, list[int]] = {id_: [] for id_ in ids}
    errors: dict[str, dict[str, Any]] = {}
    completed: set[str] = set()
    async with asyncio.timeout(PATIENCE):
        while completed != set(ids):
            message = json.loads(await ws.recv())
            if message["type"] == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    errors[message["id"]] = payload["errors"][0]
                else:
                    blocks[message["id"]].append(payload["data"]["newBlock"]["number"])
            elif message["type"] == "complete":
                completed.add(message["id"])
    return {id_: (blocks[id_], errors[id_]) for id_ in ids}


async def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout(
    served: Served,
) -> None:
    simnet = simnet_of(served)
    hub = served.services.hub
    async with app_with(served, ws_send_timeout=0.5, subscriber_max_lag=1000, **FAT_LIMITS) as url:
        baseline = hub.subscribers(NewBlock)
        stalled, ids = await stalled_connection(url, await head_number(served) + 1)
        await wait_until(lambda: hub.subscribers(NewBlock) == baseline + len(ids), "subscribed")
        # Far below the lag limit: only the send timeout can end these subscriptions.
        for _ in range(10):
            await finalize(simnet, 1)
            await asyncio.sleep(0.1)
        await wait_until(lambda: hub.subscribers(NewBlock) == baseline, "the drop")
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(PATIENCE):
                while True:
                    await stalled.recv()


async def publish_commit(hub: EventHub, status: str, block: int) -> None:
    at = datetime.datetime.now(datetime.UTC)
    hub.publish(
        CommitAttempt(
            id=41, block=block, epoch=19035, weights_epoch=19035, netuid=1,
            mode=CommitMode.COMMIT_REVEAL, trigger=CommitTrigger.AUTO, uid_count=256,
            digest="cd" * 32, reveal_round=5_100_000, status=CommitStatus(status),
            error=None, outcome_unknown=False, created_at=at, updated_at=at,
            block_hash=f"0x{block:064x}",
        )
    )  # fmt: skip


WEIGHT_COMMIT = GraphQLRequest(
    "subscription { weightCommit { id block { number } status revealRound } }"
)


async def test_weight_commit_refused_without_the_validator_role(served: Served) -> None:
    async with app_with(served) as url, session(url) as client:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in client.subscribe(WEIGHT_COMMIT):
                pass
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"] == {"code": "FORBIDDEN"}


async def test_an_unknown_token_is_refused_at_connection_init(served: Served) -> None:
    async with app_with(served) as url:
        for payload in ({"authorization": "Bearer wrong"}, {"token": "wrong"}):
            async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws:  # type: ignore[list-item]
                await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
            assert ws.close_code == 4403
        # graphql-ws: a connection_error, then the close.
        async with websockets.connect(url, subprotocols=[LEGACY_WS]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": "wrong"}}))
            assert json.loads(await ws.recv())["type"] == "connection_error"
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
        assert ws.close_code == 1011


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        ({"authorization": f"Bearer {VALIDATOR_TOKEN}"}, None),
        ({"token": VALIDATOR_TOKEN}, None),
        # A client that can set headers may send the token with the handshake instead.
        ({}, {"authorization": f"Bearer {VALIDATOR_TOKEN}"}),
    ],
)
async def test_weight_commit_with_the_validator_token_follows_an_attempt(
    served: Served, payload: dict[str, str], headers: dict[str, str] | None
) -> None:
    hub = served.services.hub
    answers: list[dict[str, Any]] = []
    async with (
        app_with(served) as url,
        session(url, init_payload=payload, headers=headers) as client,
    ):
        stream = client.subscribe(WEIGHT_COMMIT)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            first = asyncio.create_task(anext(stream))  # type: ignore[arg-type]
            await wait_until(lambda: hub.subscribers(CommitAttempt) == 1, "subscribed")
            await publish_commit(hub, "pending", 100)
            await publish_commit(hub, "in_block", 102)
            await publish_commit(hub, "finalized", 102)
            answers.append(await asyncio.wait_for(first, PATIENCE))
            async with asyncio.timeout(PATIENCE):
                answers += [await anext(stream) for _ in range(2)]  # type: ignore[arg-type]
    assert [a["weightCommit"] for a in answers] == [
        {"id": 41, "block": {"number": 100}, "status": "PENDING", "revealRound": 5_100_000},
        {"id": 41, "block": {"number": 102}, "status": "IN_BLOCK", "revealRound": 5_100_000},
        {"id": 41, "block": {"number": 102}, "status": "FINALIZED", "revealRound": 5_100_000},
    ]


async def test_old_clients_subscribe_over_graphql_ws(served: Served) -> None:
    simnet = simnet_of(served)
    start = await head_number(served) + 1
    async with session(ws_url(served), subprotocol=LEGACY_WS) as client:
        stream = client.subscribe(new_block(start))
        async with contextlib.aclosing(stream), asyncio.timeout(PATIENCE):  # type: ignore[type-var]
            await finalize(simnet, 3)
            blocks = [(await anext(stream))["newBlock"] for _ in range(3)]  # type: ignore[arg-type,index]
    assert_consecutive(blocks, start, start + 2)


async def test_graphql_transport_ws_is_preferred_when_both_are_offered(served: Served) -> None:
    async with websockets.connect(
        ws_url(served),
        subprotocols=[LEGACY_WS, TRANSPORT_WS],  # type: ignore[list-item]
    ) as ws:
        assert ws.subprotocol == TRANSPORT_WS


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_client_that_never_sends_connection_init_is_closed(
    served: Served, subprotocol: str
) -> None:
    async with app_with(served, ws_connection_init_timeout=0.3) as url:
        async with websockets.connect(url, subprotocols=[subprotocol]) as ws:  # type: ignore[list-item]
            with pytest.raises(websockets.ConnectionClosed):
                async with asyncio.timeout(PATIENCE):
                    while True:
                        await ws.recv()
        assert ws.close_code == 4408


async def test_pings_keep_an_idle_connection_alive(served: Served) -> None:
    async with (
        app_with(served, ws_keep_alive_interval=0.1) as url,
        websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws,  # type: ignore[list-item]
    ):
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        async with asyncio.timeout(PATIENCE):
            pings = [json.loads(await ws.recv()) for _ in range(2)]
        assert pings == [{"type": "ping"}, {"type": "ping"}]


async def test_subscriptions_per_connection_are_capped(served: Served) -> None:
    async with (
        app_with(served, ws_max_subscriptions=2) as url,
        websockets.connect(url, subprotocols=[TRANSPORT_WS]) as ws,  # type: ignore[list-item]
    ):
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        for id_ in ("a", "b", "c"):
            payload = {"query": "subscription { newEpoch { index } }"}
            await ws.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))
        async with asyncio.timeout(PATIENCE):
            refusal = json.loads(await ws.recv())
    assert refusal["id"] == "c" and refusal["type"] == "error"
    assert refusal["payload"][0]["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}
    assert "at most 2 subscriptions" in refusal["payload"][0]["message"]


async def test_connections_are_capped(served: Served) -> None:
    async with app_with(served, ws_max_connections=2) as url:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(2):
                ws = await stack.enter_async_context(
                    websockets.connect(url, subprotocols=[TRANSPORT_WS])  # type: ignore[list-item]
                )
                await ws.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
            async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as third:  # type: ignore[list-item]
                with pytest.raises(websockets.ConnectionClosed):
                    await third.recv()
            assert third.close_code == 1013
        # Once the others have left, a new connection is served again.
        async with session(url) as client:
            result = await client.execute(GraphQLRequest("{ head { number } }"))
        assert result["head"]["number"] > 0


async def test_a_real_commit_moves_from_pending_to_finalized(tmp_path: Path) -> None:
    """The committer's own events, from a commit of written weights on the simnet's chain."""
    settings = settings_for(
        network="sim",
        netuid=2,  # 256 neurons: quick to decode at every block
        data_dir=tmp_path,
        validator_tokens=VALIDATOR_TOKEN,
        auto_commit=False,
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    services = Services(settings, simnet_config=config)
    auth = {"authorization": f"Bearer {VALIDATOR_TOKEN}"}
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE, headers=auth) as http,
    ):
        await wait_for_health(http)
        simnet = services.simnet
        assert simnet is not None
        neurons = await graphql(http, "{ metagraph { neurons(first: 4) { hotkey } } }")
        weights = [
            {"hotkey": n["hotkey"], "weight": float(i + 1)}
            for i, n in enumerate(neurons["data"]["metagraph"]["neurons"])
        ]
        written = await graphql(
            http,
            "mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }",
            {"w": weights},
        )
        assert written["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", written

        statuses: list[dict[str, Any]] = []
        ws = url.replace("http://", "ws://") + "/graphql"
        async with session(ws, init_payload=auth) as client:
            stream = client.subscribe(
                GraphQLRequest("subscription { weightCommit { id status mode error } }")
            )
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                first = asyncio.create_task(anext(stream))  # type: ignore[arg-type]
                await wait_until(lambda: services.hub.subscribers(CommitAttempt) == 1, "subscribed")
                started = await graphql(
                    http,
                    "mutation { commitWeights { __typename "
                    "... on CommitWeightsSuccess { commit { id status } } } }",
                )
                commit = started["data"]["commitWeights"]["commit"]
                assert commit["status"] == "PENDING", started
                statuses.append((await asyncio.wait_for(first, PATIENCE))["weightCommit"])
                async with asyncio.timeout(PATIENCE):
                    while statuses[-1]["status"] not in ("FINALIZED", "FAILED"):
                        # Blocks keep coming until the node finalizes the extrinsic's block.
                        await simnet.produce_blocks(1)
                        with contextlib.suppress(TimeoutError):
                            answer = await asyncio.wait_for(anext(stream), 0.5)  # type: ignore[arg-type]
                            statuses.append(answer["weightCommit"])
    assert {s["id"] for s in statuses} == {commit["id"]}
    assert [(s["status"], s["error"]) for s in statuses] == [
        ("PENDING", None),
        ("IN_BLOCK", None),
        ("FINALIZED", None),
    ]


async def test_epochs_registrations_and_commitments_as_the_simnet_moves(
    tmp_path: Path,
) -> None:
    """newEpoch, neuronRegistrations and commitmentChanged from the real stack: the owner sets
    a short tempo, the simnet now and then gives a miner's uid to a new hotkey, and the
    validator sets its commitment."""
    owner = "owner-secret"
    settings = settings_for(
        network="sim",
        netuid=2,
        data_dir=tmp_path,
        owner_tokens=owner,
        validator_tokens=VALIDATOR_TOKEN,
        auto_commit=False,
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    services = Services(settings, simnet_config=config)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as http,
    ):
        await wait_for_health(http)
        simnet = services.simnet
        assert simnet is not None
        response = await http.post(
            "/graphql",
            json={
                "query": 'mutation { setHyperparameter(name: "tempo", value: 9) { __typename } }'
            },
            headers={"authorization": f"Bearer {owner}"},
        )
        set_tempo = response.json()["data"]["setHyperparameter"]
        assert set_tempo["__typename"] == "SetHyperparameterSuccess", response.text

        epochs: list[dict[str, Any]] = []
        registrations: list[dict[str, Any]] = []
        commitments: list[dict[str, Any]] = []

        async def collect(
            client: AsyncClientSession,
            document: str,
            into: list,
            variables: dict[str, Any] | None = None,
        ) -> None:
            stream = client.subscribe(GraphQLRequest(document, variable_values=variables))
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for result in stream:
                    into.append(next(iter(result.values())))  # type: ignore[union-attr]

        ws = url.replace("http://", "ws://") + "/graphql"
        async with session(ws) as client:
            tasks = [
                asyncio.create_task(
                    collect(client, "subscription { newEpoch { index start tempo "
                            "block { number } } }", epochs)
                ),
                asyncio.create_task(
                    collect(client, "subscription { neuronRegistrations "
                            "{ block { number } uid hotkey change } }", registrations)
                ),
                asyncio.create_task(
                    collect(client, "subscription($h: [String!]) { commitmentChanged(hotkeys: $h) "
                            "{ block { number } hotkey commitment { text committedAt } } }",
                            commitments, {"h": [VALIDATOR_HOTKEY]})
                ),
            ]  # fmt: skip
            try:
                await wait_until(
                    lambda: (
                        services.hub.subscribers(NewEpoch) == 1
                        and services.hub.subscribers(NeuronRegistration) == 1
                        and services.hub.subscribers(CommitmentChange) == 1
                    ),
                    "subscribed",
                )
                async with asyncio.timeout(PATIENCE):
                    while len(epochs) < 3 or not registrations:
                        number = await finalize(simnet, 1)
                        await wait_until(lambda n=number: announced_by(services) >= n, "head")
                    await asyncio.sleep(0.2)  # a registration's pair is published together
                    response = await http.post(
                        "/graphql",
                        json={"query": 'mutation { setCommitment(data: "hello") { __typename } }'},
                        headers={"authorization": f"Bearer {VALIDATOR_TOKEN}"},
                    )
                    assert "Success" in response.json()["data"]["setCommitment"]["__typename"]
                    while not commitments:
                        number = await finalize(simnet, 1)
                        await wait_until(lambda n=number: announced_by(services) >= n, "head")
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

        # The new tempo puts the chain in another epoch at once; then epochs of 10 blocks, each
        # announced at its first block (subtensor's formula).
        assert epochs[0]["tempo"] == 9
        first, second = epochs[1:3]
        assert first["tempo"] == second["tempo"] == 9
        assert second["index"] == first["index"] + 1
        assert second["start"] == first["start"] + 10
        assert (first["start"] + 2 + 1) % 10 == 9
        assert [e["block"]["number"] for e in (first, second)] == [first["start"], second["start"]]

        # A uid that changed hands: who left it, then who took it, as the metagraphs show.
        left, took = registrations[:2]
        assert (left["change"], took["change"]) == ("DEREGISTERED", "REGISTERED")
        assert left["uid"] == took["uid"] and left["block"] == took["block"]
        block, uid = took["block"]["number"], took["uid"]
        document = "query ($u: Int, $b: Int) { neuron(uid: $u, block: $b) { hotkey } }"
        before = await graphql(http, document, {"u": uid, "b": block - 1})
        after = await graphql(http, document, {"u": uid, "b": block})
        assert before["data"]["neuron"]["hotkey"] == left["hotkey"]
        assert after["data"]["neuron"]["hotkey"] == took["hotkey"] != left["hotkey"]

        # The validator's commitment, from the first block that has it.
        [changed] = commitments
        assert changed["hotkey"] == VALIDATOR_HOTKEY
        assert changed["commitment"]["text"] == "hello"
        assert changed["commitment"]["committedAt"] <= changed["block"]["number"]


def announced_by(services: Services) -> int:
    head = services.reader.head
    return -1 if head is None else head.number
