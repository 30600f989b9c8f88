"""How fast the simnet answers: prints a table (no assertions; run it by hand).

    uv run python bench/simnet.py

Measures, over a real websocket on localhost: a 1024-neuron `get_neurons_lite` answered the
first time at a block (encode + send) and from the per-block cache, and producing a block.
The write path: checking a signed extrinsic (decode + sr25519 verify), a block holding 50 of
them, and turbobt's `commitments.set` until finalized with `auto_produce_on_submit`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import tracemalloc
from typing import Any

import turbobt
import websockets.asyncio.client
from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.extrinsics import check

ROUNDS = 30


async def _call(ws: websockets.asyncio.client.ClientConnection, method: str, params: list) -> str:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
    return await ws.recv()  # type: ignore[return-value]


def _row(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(len(ms) * 0.95))]
    return f"| {name:<44} | {statistics.median(ms):9.2f} | {p95:9.2f} | {len(ms):5d} |"


async def main() -> None:
    started = time.perf_counter()
    simnet = Simnet(SimnetConfig(port=0, manual=True))
    await simnet.start()
    first_start = time.perf_counter() - started
    started = time.perf_counter()
    second = Simnet(SimnetConfig(port=0, manual=True))
    await second.start()
    second_start = time.perf_counter() - started
    await second.stop()

    uncached: list[float] = []
    cached: list[float] = []
    produce: list[float] = []
    world_produce: list[float] = []
    async with websockets.asyncio.client.connect(simnet.url, max_size=2**24) as ws:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            await simnet.produce_blocks(1)
            produce.append(time.perf_counter() - started)
            block = simnet.head_hash
            params = ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100", block]
            started = time.perf_counter()
            answer = await _call(ws, "state_call", params)
            uncached.append(time.perf_counter() - started)
            assert len(answer) > 300_000, answer[:300]
            for _ in range(3):
                started = time.perf_counter()
                await _call(ws, "state_call", params)
                cached.append(time.perf_counter() - started)
        for _ in range(100):
            started = time.perf_counter()
            simnet.world.produce()
            world_produce.append(time.perf_counter() - started)
    await simnet.stop()

    # memory of the kept history: 1000 more blocks, 256 states kept
    tracemalloc.start()
    async with Simnet(SimnetConfig(port=0, manual=True)) as fresh:
        before = tracemalloc.get_traced_memory()[0]
        await fresh.produce_blocks(1000)
        grown = tracemalloc.get_traced_memory()[0] - before
        kept = len(fresh.world.states)
    tracemalloc.stop()

    print(f"simnet start: first in the process {first_start:.2f} s, next {second_start:.3f} s")
    print()
    print(f"| {'what':<44} | {'median ms':>9} | {'p95 ms':>9} | {'n':>5} |")
    print(f"| {'-' * 44} | {'-' * 8}: | {'-' * 8}: | {'-' * 4}: |")
    print(_row("get_neurons_lite 1024, uncached (new block)", uncached))
    print(_row("get_neurons_lite 1024, cached", cached))
    print(_row("produce a block (produce_blocks(1))", produce))
    print(_row("produce a block (world only, no subscribers)", world_produce))
    for row in await _writes():
        print(row)
    print()
    print(f"memory after 1000 blocks ({kept} states kept): +{grown / 1e6:.1f} MB")


async def _signed(bt: turbobt.Bittensor, key: Any, args: dict[str, Any], nonce: int) -> bytes:
    """A set_commitment signed as turbobt signs it (immortal era), not sent."""
    substrate: Any = bt.subtensor
    call = substrate._registry.create_scale_object("Call", metadata=substrate._metadata)
    call.encode(
        {"call_module": "Commitments", "call_function": "set_commitment", "call_args": args}
    )
    era = substrate._registry.create_scale_object("Era")
    era.encode("00")
    genesis = await substrate.chain.getBlockHash(0)
    extrinsic = substrate.author._sign(
        call,
        key,
        nonce=nonce,
        era=era.value,
        block_hash=genesis,
        genesis_hash=genesis,
        runtime_version=await substrate.state.getRuntimeVersion(),
    )
    return bytes(extrinsic.data.data)


async def _writes() -> list[str]:
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    path = tempfile.mkdtemp()
    wallet = Wallet("bench", "default", path)
    hotkey, coldkey = Keypair.create_from_uri("//Bob"), Keypair.create_from_uri("//Charlie")
    wallet._set_hotkey(hotkey, False, True, False, None)
    wallet._set_coldkey(coldkey, False, True, False, None)
    checks: list[float] = []
    block: list[float] = []
    end_to_end: list[float] = []
    async with Simnet(config) as simnet, turbobt.Bittensor(simnet.url, wallet=wallet) as bt:
        await bt.subtensor._init_runtime()
        world = simnet.world
        args = {"netuid": 2, "info": {"fields": [[{"Raw8": b"12345678"}]]}}
        for _ in range(10):
            nonce = world.next_index(hotkey.public_key)
            batch = [await _signed(bt, hotkey, args, nonce + i) for i in range(50)]
            for data in batch:
                started = time.perf_counter()
                world.submit(check(world.runtime, world, data))
                checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            world.produce()
            block.append(time.perf_counter() - started)
        subnet = bt.subnet(2)
        for i in range(ROUNDS):
            started = time.perf_counter()
            await subnet.commitments.set(f"round {i}".encode())
            end_to_end.append(time.perf_counter() - started)
    return [
        _row("check a signed extrinsic (decode + verify)", checks),
        _row("produce a block with 50 set_commitment", block),
        _row("turbobt commitments.set, auto-produce", end_to_end),
    ]


if __name__ == "__main__":
    asyncio.run(main())
