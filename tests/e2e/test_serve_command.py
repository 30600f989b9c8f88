"""`pylon-gql serve` as a user runs it: no configuration, the simnet in-process, real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from pylon_gql.cli import main
from pylon_gql.schema import schema_sdl

from .conftest import PATIENCE, free_port

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))


async def test_serve_with_no_configuration_runs_on_the_simnet(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")} | {
        "PYLON_PORT": str(port),
        "PYLON_SIM_BLOCK_TIME": "0.5",
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        PYLON_GQL,
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async with asyncio.timeout(PATIENCE):
                while True:
                    try:
                        answer = (
                            await client.post(
                                "/graphql",
                                json={"query": "{ head { number } chain { simulated } }"},
                            )
                        ).json()
                        if "data" in answer and answer["data"] is not None:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            first_answer = time.monotonic() - started
            assert answer["data"]["chain"] == {"simulated": True}
            first_head = answer["data"]["head"]["number"]
            assert first_head >= 6852690
            # blocks come every half second: the head moves on its own
            async with asyncio.timeout(PATIENCE):
                while True:
                    later = await client.post("/graphql", json={"query": "{ head { number } }"})
                    if later.json()["data"]["head"]["number"] > first_head:
                        break
                    await asyncio.sleep(0.2)
        assert await answers_again_after_idle(port, seconds=6)
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(PATIENCE):
            output, _ = await process.communicate()
    log = output.decode()
    assert "SIMULATED CHAIN" in log, log
    assert process.returncode == 0, log
    print(f"\npylon-gql serve -> first answer: {first_answer:.2f} s")


async def answers_again_after_idle(port: int, seconds: float) -> bool:
    """Whether one connection, idle `seconds` between two requests, answers both: past
    uvicorn's default keep-alive (5 s), which closed it as clients (httpx 5 s, aiohttp 15 s)
    sent on it."""
    body = b'{"query": "{ head { number } }"}'
    request = (
        b"POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        statuses = []
        for pause in (0, seconds):
            await asyncio.sleep(pause)
            writer.write(request)
            status = await reader.readline()
            if not status:
                return False  # the server had closed the connection
            statuses.append(status)
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
        return all(status.startswith(b"HTTP/1.1 200") for status in statuses)
    finally:
        writer.close()


def test_invalid_settings_stop_the_start_with_one_line_each() -> None:
    env = {"PYLON_PORT": "-1", "PYLON_NETWORK": "mainnet", "PYLON_MAX_ALIASES": "many"}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 3, result.output
    assert lines[0].startswith("invalid setting: PYLON_NETWORK: unknown network 'mainnet'")
    assert any(line.startswith("invalid setting: PYLON_PORT: ") for line in lines)
    assert any(line.startswith("invalid setting: PYLON_MAX_ALIASES: ") for line in lines)
    assert "Traceback" not in result.output


def test_export_schema_writes_and_checks_the_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    runner = CliRunner()
    assert runner.invoke(main, ["export-schema", "-o", str(target), "--check"]).exit_code == 1
    assert runner.invoke(main, ["export-schema", "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_sdl()
    assert runner.invoke(main, ["export-schema", "-o", str(target), "--check"]).exit_code == 0
    target.write_text(schema_sdl().replace("neuronCount", "neuronTotal"), encoding="utf-8")
    assert runner.invoke(main, ["export-schema", "-o", str(target), "--check"]).exit_code == 1
