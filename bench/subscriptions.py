"""Fan-out latency of `newBlock`: prints a table (no assertions; run it by hand).

    uv run python bench/subscriptions.py [--blocks 20] [--subscribers 100 500 1000]

The server (uvicorn, websockets-sansio) follows the embedded simnet in manual mode in this
process; the subscribers run in a second process, one graphql-transport-ws connection each,
and time each block's arrival with the same system-wide monotonic clock. The bench produces one
block, waits until every subscriber has it, then produces the next. For each block it takes:

- receipt: when the follower got the new finalized head from the node;
- announce: when the follower published it on the hub (after warming the cache, which does not
  depend on the number of subscribers);
- each subscriber's receipt of the block's `next` message.

It prints p50/p99 over all (block, subscriber) pairs of receipt -> subscriber (what the issue
asks) and announce -> subscriber (the fan-out itself), then the same at 500 subscribers with
one stalled connection (100 subscriptions of 30 kB blocks that read nothing) beside them: while
the server still renders for it (until the socket buffers fill and it falls
PYLON_SUBSCRIBER_MAX_LAG blocks behind), and after the hub has cut it off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from typing import Any

import uvicorn
import websockets

from pylon_gql.chain.client import ChainClient
from pylon_gql.cli import UVICORN_WS
from pylon_gql.events import NewBlock
from pylon_gql.http import create_app
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from pylon_gql.simnet import SimnetConfig

NEW_BLOCK = "subscription($from: Int) { newBlock(fromBlock: $from) { number hash timestamp } }"
FAT_BLOCK = (
    "subscription($from: Int) { newBlock(fromBlock: $from) { number "
    + " ".join(f"h{i}: hash" for i in range(400))
    + " } }"
)
WARM_UP_BLOCKS = 2


# --- the subscribers' process


def subscribers_process(url: str, count: int, from_block: int, pipe: Connection) -> None:
    asyncio.run(_subscribers(url, count, from_block, pipe))


async def _subscribers(url: str, count: int, from_block: int, pipe: Connection) -> None:
    arrivals: dict[int, list[float]] = defaultdict(list)

    async def subscriber() -> None:
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            ping_interval=None,
            max_size=None,
            open_timeout=120,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            payload = {"query": NEW_BLOCK, "variables": {"from": from_block}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            async for raw in ws:
                now = time.monotonic()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send('{"type": "pong"}')
                    continue
                number = message["payload"]["data"]["newBlock"]["number"]
                arrivals[number].append(now)
                if len(arrivals[number]) == count:
                    pipe.send(("block", number))

    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(subscriber()))
        await asyncio.sleep(0.002)  # do not flood the accept queue
    await asyncio.to_thread(pipe.recv)  # "stop"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("arrivals", dict(arrivals)))


# --- a stalled connection (in the server's process: it does nothing once subscribed)


async def stalled_connection(url: str, from_block: int) -> websockets.ClientConnection:
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    ws = await websockets.connect(
        url,
        sock=sock,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=1,
        ping_interval=None,
        compression=None,
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    await ws.recv()
    for i in range(100):
        payload = {"query": FAT_BLOCK, "variables": {"from": from_block}}
        await ws.send(json.dumps({"id": f"s{i}", "type": "subscribe", "payload": payload}))
    return ws


# --- the server's process


class Receipts:
    """When the follower got each head from the node (wraps ChainClient.finalized_heads)."""

    at: dict[int, float] = {}

    @classmethod
    def install(cls) -> None:
        original = ChainClient.finalized_heads

        async def finalized_heads(self: ChainClient) -> AsyncIterator[int]:
            async for number in original(self):
                cls.at.setdefault(number, time.monotonic())
                yield number

        ChainClient.finalized_heads = finalized_heads  # type: ignore[method-assign]


async def serve(services: Services, settings: Settings) -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(
        create_app(settings, services),
        host="127.0.0.1",
        port=0,
        ws=UVICORN_WS,
        log_level="warning",
        lifespan="on",
        backlog=4096,
    )
    server = uvicorn.Server(config)
    asyncio.create_task(server.serve())  # noqa: RUF006 - stopped through should_exit
    while not server.started:  # noqa: ASYNC110 - uvicorn has no event for it
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/graphql"


async def measure(
    services: Services, url: str, count: int, blocks: int, *, stall: bool
) -> dict[str, list[float]]:
    simnet, hub, reader = services.simnet, services.hub, services.reader
    assert simnet is not None and reader.head is not None
    announced: dict[int, float] = {}
    announcements = hub.subscribe(NewBlock, maxsize=10_000)

    async def note_announcements() -> None:
        async for event in announcements:
            announced.setdefault(event.ref.number, time.monotonic())

    noting = asyncio.create_task(note_announcements())
    start = reader.head.number + 1
    before = hub.subscribers(NewBlock)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=subscribers_process, args=(url, count, start, child)
    )
    process.start()
    while hub.subscribers(NewBlock) < before + count:  # noqa: ASYNC110 - polling the hub
        await asyncio.sleep(0.05)
    stalled = None
    if stall:
        stalled = await stalled_connection(url, start)
        while hub.subscribers(NewBlock) < before + count + 100:  # noqa: ASYNC110 - polling the hub
            await asyncio.sleep(0.05)
    # The first block produced after the hub cut the stalled connection's subscriptions off.
    cut_at: int | None = None
    try:
        for _ in range(blocks):
            if stall and cut_at is None and hub.subscribers(NewBlock) <= before + count:
                cut_at = simnet.finalized_number + 1
                print(f"(the stalled connection was cut after {cut_at - start} blocks)")
            target = simnet.finalized_number + 1
            while simnet.finalized_number < target:
                await simnet.produce_blocks(1)
            while True:
                kind, number = await asyncio.to_thread(parent.recv)
                if kind == "block" and number >= target:
                    break
        parent.send("stop")
        kind, arrivals = await asyncio.to_thread(parent.recv)
        assert kind == "arrivals"
    finally:
        process.join(30)
        if stalled is not None:
            await stalled.close()
        announcements.close()
        noting.cancel()
    result: dict[str, list[float]] = defaultdict(list)
    for number, times in arrivals.items():
        if number < start + WARM_UP_BLOCKS or number not in Receipts.at:
            continue
        phase = "" if cut_at is None else ("after:" if number >= cut_at else "before:")
        result[phase + "total"] += [t - Receipts.at[number] for t in times]
        result[phase + "fan_out"] += [t - announced[number] for t in times]
    return result


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def row(label: str, result: dict[str, list[float]], phase: str = "") -> str:
    total, fan_out = result[phase + "total"], result[phase + "fan_out"]
    if len(total) < 2:
        return f"| {label} | - | - | - | - |"
    return (
        f"| {label} | {percentile(total, 50) * 1000:.0f} | {percentile(total, 99) * 1000:.0f} "
        f"| {percentile(fan_out, 50) * 1000:.0f} | {percentile(fan_out, 99) * 1000:.0f} |"
    )


async def main(counts: list[int], blocks: int) -> None:
    Receipts.install()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        network="sim",
        log_level="WARNING",
        ws_max_connections=max(counts) + 100,
        ws_max_subscriptions=100,
        max_aliases=500,
        max_tokens=5000,
        subscriber_max_lag=8,
        rate_limits=False,  # every connection comes from one address
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    server, url = await serve(services, settings)
    try:
        assert services.follower is not None
        await services.follower.wait_for_head(timeout=120)
        print(f"newBlock fan-out, {blocks} blocks each ({WARM_UP_BLOCKS} warm-up left out), ms")
        print("| subscribers | receipt->client p50 | p99 | announce->client p50 | p99 |")
        print("| --- | --- | --- | --- | --- |")
        for count in counts:
            result = await measure(services, url, count, blocks + WARM_UP_BLOCKS, stall=False)
            print(row(str(count), result), flush=True)
        stall_count = 500 if 500 in counts else counts[0]
        result = await measure(services, url, stall_count, blocks + WARM_UP_BLOCKS, stall=True)
        label = f"{stall_count} beside a stalled connection"
        print(row(f"{label}, before it is cut", result, "before:"), flush=True)
        print(row(f"{label}, after it is cut", result, "after:"), flush=True)
    finally:
        server.should_exit = True
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100, 500, 1000])
    args: Any = parser.parse_args()
    asyncio.run(main(args.subscribers, args.blocks))
