"""The log as an operator reads it, from `pylon-gql serve` run as a process: JSON lines or text,
a request's id and GraphQL operation on its access line, health checks and metrics scrapes
only at DEBUG, the log level in any case, and a warning naming a misspelt `PYLON_` variable."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx

from .conftest import PATIENCE, free_port

PYLON_GQL = str(Path(sys.executable).with_name("pylon-gql"))
REQUEST_ID = "log-test-request-1"
#: The same query again: answered by the fast lane, in front of the app's middleware.
HIT_REQUEST_ID = "log-test-request-2"


async def serve_and_ask(tmp_path: Path, **settings: str) -> list[str]:
    """The log lines of a server, given `settings` (without their `PYLON_` prefix), that was
    asked a named query with a request id, /health and /metrics, then stopped."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")}
    env |= {"PYLON_PORT": str(port), "PYLON_DATA_DIR": str(tmp_path / "data")}
    env |= {f"PYLON_{name}": value for name, value in settings.items()}
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as log:  # a file, not a pipe: a DEBUG log would fill a pipe
        process = await asyncio.create_subprocess_exec(
            PYLON_GQL, "serve", cwd=tmp_path, env=env, stdout=log, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                # The start (the simulated node, the runtime metadata) on a busy machine.
                async with asyncio.timeout(3 * PATIENCE):
                    while True:
                        try:
                            answer = await client.post(
                                "/graphql", json={"query": "{ head { number } }"}
                            )
                            if answer.status_code == 200 and answer.json().get("data"):
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.2)
                await client.get("/health")
                assert (await client.get("/metrics")).status_code == 200
                named = await client.post(
                    "/graphql",
                    json={"query": "query HeadNumber { head { number } }"},
                    headers={"x-request-id": REQUEST_ID},
                )
                assert (named.json().get("data") or {}).get("head"), named.text
                again = await client.post(
                    "/graphql",
                    json={"query": "query HeadNumber { head { number } }"},
                    headers={"x-request-id": HIT_REQUEST_ID},
                )
                assert again.headers["x-pylon-cache"] == "hit"
                assert again.headers["x-request-id"] == HIT_REQUEST_ID
        finally:
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(PATIENCE):
                await process.wait()
    return log_file.read_text(encoding="utf-8", errors="replace").splitlines()


async def test_json_log_lines_carry_the_request_id_and_operation(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PYLON_NETUDI=2\n")  # misspelt in the .env file
    lines = await serve_and_ask(tmp_path, LOG_FORMAT="json", LOG_LEVEL="info", CACHE_BLOKS="64")
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    access = [record for record in records if record["logger"] == "uvicorn.access"]
    named = [record for record in access if record.get("request_id") == REQUEST_ID]
    assert len(named) == 1, access
    assert named[0] | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "uvicorn.access",
        "message": named[0]["message"],
        "request_id": REQUEST_ID,
        "operation": "HeadNumber",
        "method": "POST",
        "path": "/graphql",
        "status": 200,
    }
    # A kept answer served before the app's middleware is logged the same way.
    [hit] = [record for record in access if record.get("request_id") == HIT_REQUEST_ID]
    assert (hit["operation"], hit["path"], hit["status"]) == ("HeadNumber", "/graphql", 200)
    # A request without an id of its own gets one, on its line and in its answer alike.
    assert all(len(record.get("request_id", "")) >= 16 for record in access), access
    # Health checks and scrapes are DEBUG lines, not shown at INFO.
    assert not [record for record in access if record["path"] in ("/health", "/metrics")]
    warnings = [record["message"] for record in records if record["level"] == "WARNING"]
    assert (
        "unknown setting PYLON_NETUDI (did you mean PYLON_NETUID?) in .env: it is ignored"
        in warnings
    )
    assert (
        "unknown setting PYLON_CACHE_BLOKS (did you mean PYLON_CACHE_BLOCKS?) in the "
        "environment: it is ignored" in warnings
    )


async def test_text_log_at_debug_shows_probes_with_their_request_ids(tmp_path: Path) -> None:
    lines = await serve_and_ask(tmp_path, LOG_LEVEL="debug")  # lower case, as DEBUG
    health = [line for line in lines if '"GET /health HTTP/1.1"' in line]
    assert len(health) == 1, health
    assert " DEBUG   uvicorn.access: " in health[0]
    assert health[0].endswith("]") and " [request " in health[0]
    metrics = [line for line in lines if '"GET /metrics HTTP/1.1"' in line]
    assert len(metrics) == 1 and " DEBUG   uvicorn.access: " in metrics[0], metrics
    # Every line logged while the request ran carries its id (at DEBUG, the chain cache's
    # too); its access line is one.
    tagged = [
        line for line in lines if line.endswith(f"[request {REQUEST_ID}, operation HeadNumber]")
    ]
    named = [line for line in tagged if "uvicorn.access" in line]
    assert len(named) == 1, [line for line in lines if "uvicorn.access" in line]
    assert " INFO    uvicorn.access: " in named[0] and '"POST /graphql HTTP/1.1" 200' in named[0]
    assert not [line for line in lines if line.startswith("Traceback")]


async def test_access_lines_can_be_turned_off_and_the_rest_of_the_log_stays(
    tmp_path: Path,
) -> None:
    lines = await serve_and_ask(tmp_path, ACCESS_LOG="false", LOG_LEVEL="INFO")
    assert not [line for line in lines if "uvicorn.access" in line], lines
    # The rest of INFO is still there: the start, and the simulated chain's banner.
    assert any("Application startup complete" in line for line in lines), lines
    assert any("SIMULATED CHAIN" in line for line in lines), lines
