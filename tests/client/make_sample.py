"""Writes `pylon_gql_client/testing/sample.json`, the fake client's built-in data, from the simnet.

Run `uv run python -m tests.client.make_sample` after a change to the client's documents.
The sample is the server's own JSON for the client's documents, trimmed to the first 64 uids.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import httpx
from pylon_gql_client import documents

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig
from tests.client.conftest import Server
from tests.e2e.conftest import PATIENCE, settings_for, wait_for_health

SAMPLE = Path(documents.__file__).parent.parent / "testing" / "sample.json"
UIDS = 64


async def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="pylon-sample-"))
    settings = settings_for(network="sim", data_dir=data_dir)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    await services.start()
    server = Server(services)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=PATIENCE) as http:
            await wait_for_health(http)
        data: dict = {}
        for name in ("head", "chain", "epoch", "hyperparameters", "subnet", "commitments"):
            answer = await server.query(documents.document(name))
            data.update(answer["data"])
        answer = await server.query(documents.document("metagraph"), {"first": UIDS})
        metagraph = answer["data"]["metagraph"]
        metagraph["neuronCount"] = len(metagraph["neurons"])
        data["metagraph"] = metagraph
    finally:
        await server.stop()
        await services.stop()
    SAMPLE.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SAMPLE} ({SAMPLE.stat().st_size} bytes)")


if __name__ == "__main__":
    asyncio.run(main())
