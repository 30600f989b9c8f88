"""GET /health every `every` seconds until stdin closes; then print the slowest answer's
latency and the failures, as one JSON object.

    python probe_health.py URL EVERY

A process of its own, so that what it measures is the server's latency: not the test
process's own pauses (encoding a 10 MB attack, a full garbage collection of a worker's heap).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


async def probe(url: str, every: float) -> dict[str, object]:
    worst = 0.0
    failures: list[str] = []
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    stopped = asyncio.ensure_future(reader.read())  # EOF: the test is done
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await client.get("/health")  # the connection and the client's first use: not counted
        print("started", flush=True)
        while not stopped.done():
            started = time.perf_counter()
            try:
                response = await client.get("/health")
                if response.status_code != 200:
                    failures.append(f"/health {response.status_code}")
            except httpx.HTTPError as error:
                failures.append(f"/health {error!r}")
            worst = max(worst, time.perf_counter() - started)
            await asyncio.wait([stopped], timeout=every)
    return {"worst": worst, "failures": failures}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(sys.argv[1], float(sys.argv[2])))), flush=True)
