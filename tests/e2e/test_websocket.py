"""GraphQL over a websocket (graphql-transport-ws), through uvicorn's websocket protocol."""

from __future__ import annotations

import asyncio
import itertools
import json

import websockets

from . import snapshot
from .conftest import PATIENCE, Served


async def test_a_query_over_graphql_transport_ws(served: Served) -> None:
    url = served.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"x-request-id": "ws-7"},
    ) as ws:
        assert ws.response is not None
        assert ws.response.headers["x-request-id"] == "ws-7"
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": "query($b: Int) { neuron(uid: 3, block: $b) { uid hotkey } }",
                        "variables": {"b": snapshot.NUMBER},
                    },
                }
            )
        )
        result = json.loads(await ws.recv())
        complete = json.loads(await ws.recv())
    assert result == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {"neuron": {"uid": 3, "hotkey": snapshot.neurons()[3]["hotkey"]}},
            "extensions": {"cost": {"estimated": 3}},  # neuron, uid, hotkey
        },
    }
    assert complete == {"id": "1", "type": "complete"}


async def test_new_block_subscription_follows_the_simnet(served: Served) -> None:
    simnet = served.services.simnet
    assert simnet is not None
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    url = served.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "blocks",
                    "type": "subscribe",
                    "payload": {
                        "query": "subscription($from: Int) { newBlock(fromBlock: $from) "
                        "{ number hash parentHash } }",
                        "variables": {"from": head},
                    },
                }
            )
        )
        await simnet.produce_blocks(3)
        target = simnet.finalized_number
        received = []
        async with asyncio.timeout(PATIENCE):
            while not received or received[-1]["number"] < target:
                message = json.loads(await ws.recv())
                if message["type"] == "ping":
                    continue
                assert message["type"] == "next", message
                assert message["payload"].get("data"), message
                received.append(message["payload"]["data"]["newBlock"])
    assert [b["number"] for b in received] == list(range(head, target + 1))
    for parent, child in itertools.pairwise(received):
        assert child["parentHash"] == parent["hash"]
