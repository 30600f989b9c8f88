"""GraphQL over a websocket (graphql-transport-ws), through uvicorn's websocket protocol."""

from __future__ import annotations

import json

import websockets

from . import snapshot
from .conftest import Served


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
        "payload": {"data": {"neuron": {"uid": 3, "hotkey": snapshot.neurons()[3]["hotkey"]}}},
    }
    assert complete == {"id": "1", "type": "complete"}
