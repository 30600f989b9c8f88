"""The websocket server: blocks by themselves, batches, requests that are not requests."""

from __future__ import annotations

import asyncio
import json

import websockets.asyncio.client

from pylon_gql.simnet import Simnet, SimnetConfig


async def test_blocks_are_produced_by_themselves():
    async with (
        Simnet(SimnetConfig(port=0, block_time=0.05)) as simnet,
        websockets.asyncio.client.connect(simnet.url) as ws,
    ):
        start = simnet.head_number
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "chain_subscribeNewHeads"}))
        numbers: list[int] = []
        async with asyncio.timeout(10):
            while len(numbers) < 4:
                message = json.loads(await ws.recv())
                if message.get("method") == "chain_newHead":
                    numbers.append(int(message["params"]["result"]["number"], 16))
        assert numbers[0] >= start
        assert numbers == list(range(numbers[0], numbers[0] + 4))


async def test_a_batch_gets_one_array(simnet: Simnet):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "system_chain"},
        {"jsonrpc": "2.0", "id": 2, "method": "chain_getBlockHash", "params": [0]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
    ]
    async with websockets.asyncio.client.connect(simnet.url) as ws:
        await ws.send(json.dumps(batch))
        answers = {a["id"]: a for a in json.loads(await ws.recv())}
    assert answers[1]["result"] == "Bittensor"
    assert answers[2]["result"].startswith("0x2f0555cc")
    assert answers[3]["error"]["code"] == -32601


async def test_an_empty_batch_and_a_non_request_get_invalid_request(simnet: Simnet):
    invalid = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "Invalid request"},
    }
    async with websockets.asyncio.client.connect(simnet.url) as ws:
        await ws.send("[]")
        assert json.loads(await ws.recv()) == invalid
        await ws.send(json.dumps([5, {"jsonrpc": "2.0", "id": 1, "method": "system_chain"}]))
        assert json.loads(await ws.recv()) == [
            invalid,
            {"jsonrpc": "2.0", "id": 1, "result": "Bittensor"},
        ]


def test_a_simnet_not_started_says_to_start_it():
    simnet = Simnet(SimnetConfig(port=0))
    for part in ("world", "node", "subscriptions"):
        try:
            getattr(simnet, part)
        except RuntimeError as error:
            assert "simnet.start()" in str(error)
        else:
            raise AssertionError(f"simnet.{part} answered before start")
