"""`pylon-gql serve` with `PYLON_DATABASE_URL=postgres://...` as a user runs it: it migrates the
database, serves setWeights and weights over HTTP and keeps them in PostgreSQL; a database it
cannot open is one line that says what to check, without the password or a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.postgres import free_port

from .conftest import PATIENCE

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))
TOKEN = "validator-token"


def environment(**values: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")}
    return clean | {f"PYLON_{key.upper()}": value for key, value in values.items()}


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {TOKEN}"}
    answer = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return answer.json()


async def test_serve_on_postgres_keeps_the_weights_there(postgres_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = environment(
        port=str(port),
        database_url=postgres_url,
        validator_tokens=TOKEN,
        auto_commit="false",
        sim_block_time="0.5",
        netuid="2",
    )
    process = await asyncio.create_subprocess_exec(
        PYLON_GQL, "serve", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async with asyncio.timeout(PATIENCE):
                while True:
                    try:
                        answer = await post(
                            client, "{ metagraph { neurons(first: 2) { hotkey } } }"
                        )
                        if answer.get("data"):
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
            hotkeys = [n["hotkey"] for n in answer["data"]["metagraph"]["neurons"]]
            written = await post(
                client,
                "mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }",
                w=[{"hotkey": hotkeys[0], "weight": 1.5}, {"hotkey": hotkeys[1], "weight": 2.0}],
            )
            assert written["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", written
            read = await post(client, "{ weights { weights { hotkey weight } } }")
            served = {w["hotkey"]: w["weight"] for w in read["data"]["weights"]["weights"]}
            assert served == {hotkeys[0]: 1.5, hotkeys[1]: 2.0}
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(PATIENCE):
            output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch('SELECT "hotkey", "weight" FROM "weight"')
        versions = await connection.fetch('SELECT "version" FROM "aerich"')
    finally:
        await connection.close()
    assert {row["hotkey"]: row["weight"] for row in rows} == served
    assert len(versions) == len({row["version"] for row in versions}) >= 4


async def test_a_database_serve_cannot_open_is_one_line(tmp_path: Path) -> None:
    url = f"postgres://pylon:s3cret-pw@127.0.0.1:{free_port()}/pylon"  # nothing listens there
    process = await asyncio.create_subprocess_exec(
        PYLON_GQL, "serve", cwd=tmp_path, env=environment(port="0", database_url=url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(PATIENCE):
        output, _ = await process.communicate()
    log = output.decode()
    assert process.returncode == 2, log
    assert "s3cret-pw" not in log and "Traceback" not in log, log
    last = log.strip().splitlines()[-1]
    assert last.startswith("invalid setting: PYLON_DATABASE_URL: cannot open the database"), last
    assert "postgres://***@127.0.0.1:" in last and "server runs" in last, last
