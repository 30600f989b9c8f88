"""Each fault mode gives a client the failure it would get from a misbehaving real node."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import turbobt
import websockets
import websockets.asyncio.client
from turbobt.substrate.exceptions import SubstrateException
from turbobt.substrate.transports.base import Timeout
from turbobt.substrate.transports.websocket import WebSocketTransport

from pylon_gql.simnet import Faults, Simnet, SimnetConfig

from .conftest import raw_request


@pytest.fixture
async def faulty() -> AsyncIterator[Simnet]:
    async with Simnet(SimnetConfig(port=0, manual=True)) as simnet:
        yield simnet


def impatient_client(url: str) -> turbobt.Bittensor:
    """turbobt with a short read timeout, so a missing answer shows up quickly."""
    transport = WebSocketTransport(url, timeout=Timeout(connect=5.0, read=0.5, write=5.0))
    return turbobt.Bittensor(transport=transport)


async def test_errors_on_chosen_methods(faulty: Simnet):
    async with turbobt.Bittensor(faulty.url) as bt:
        await bt.subtensor._init_runtime()  # the metadata is a state_call too
        head = await bt.head.get()
        faulty.set_faults(error_rate=1.0, error_methods=("state_call",))
        with pytest.raises(SubstrateException, match="Server is busy, try again later"):
            await bt.subnet(1).get_state(block_hash=head.hash)
        assert (await bt.head.get()).number == head.number  # other methods answer

        faulty.set_faults(error_rate=0.5)
        failed = 0
        for uid in range(30):
            try:
                await bt.subtensor.neuron_info.get_neuron(2, uid, block_hash=head.hash)
            except SubstrateException:
                failed += 1
        assert 0 < failed < 30


async def test_faults_through_the_control_method(faulty: Simnet):
    settings = {"error_rate": 1.0, "error_methods": ["system_chain"]}
    answer = await raw_request(faulty.url, "simnet_setFaults", [settings])
    assert answer["result"]["error_rate"] == 1.0
    assert faulty.faults.error_methods == ("system_chain",)
    failed = await raw_request(faulty.url, "system_chain")
    assert failed["error"] == {"code": -32009, "message": "Server is busy, try again later"}
    bad = await raw_request(faulty.url, "simnet_setFaults", [{"error_rate": 7}])
    assert bad["error"]["code"] == -32602
    await raw_request(faulty.url, "simnet_setFaults", [{}])
    assert faulty.faults == Faults()
    assert (await raw_request(faulty.url, "system_chain"))["result"] == "Bittensor"


async def test_latency_delays_answers(faulty: Simnet):
    faulty.set_faults(latency=0.01, jitter=0.02)
    async with turbobt.Bittensor(faulty.url) as bt:
        assert (await bt.head.get()).number == faulty.head_number
        faulty.set_faults(latency=5.0)
        client = impatient_client(faulty.url)
        async with client:
            with pytest.raises(TimeoutError):
                await client.head.get()


async def test_stall_never_answers_until_turned_off(faulty: Simnet):
    async with impatient_client(faulty.url) as bt:
        assert (await bt.head.get()).number == faulty.head_number
        faulty.set_faults(stall=True, stall_methods=("chain_getHeader",))
        with pytest.raises(TimeoutError):
            await bt.head.get()
        assert await bt.subtensor.chain.getBlockHash(0)  # other methods still answer
        faulty.set_faults()
        assert (await bt.head.get()).number == faulty.head_number


async def test_drop_every_nth_request_closes_the_connection(faulty: Simnet):
    faulty.set_faults(drop_every=3)
    async with websockets.asyncio.client.connect(faulty.url) as ws:
        for request_id in (1, 2):
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "system_name"}))
            assert json.loads(await ws.recv())["id"] == request_id
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "system_name"}))
        with pytest.raises(websockets.ConnectionClosedError):
            await ws.recv()
    # a new connection is served again, until its own third request
    assert (await raw_request(faulty.url, "system_name"))["result"]


async def test_drop_once_ends_subscriptions_and_the_client_reconnects(faulty: Simnet):
    async with impatient_client(faulty.url) as bt:
        subscription_id = await bt.subtensor.chain.subscribeFinalizedHeads()
        subscription = await bt.subtensor.subscribe(subscription_id)
        await subscription.__anext__()
        faulty.set_faults(drop_once=True)
        assert faulty.faults == Faults()  # a one-off
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(5):
                await subscription.__anext__()
        # turbobt reconnects on a later call; the calls in between fail
        for _ in range(5):
            try:
                head = await bt.head.get()
            except (TimeoutError, websockets.ConnectionClosed):
                continue
            assert head.number == faulty.head_number
            break
        else:
            pytest.fail("turbobt did not reconnect")
