"""`pylon-gql simnet`: the options it explains, and a real run until Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

from click.testing import CliRunner

from pylon_gql.cli import main

from .conftest import raw_request


def test_help_explains_every_option():
    result = CliRunner().invoke(main, ["simnet", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--block-time",
        "--manual",
        "--auto-produce-on-submit",
        "--seed",
        "--finality-lag",
        "--history",
        "--archive",
        "--latency",
        "--jitter",
        "--error-rate",
        "--error-method",
        "--drop-every",
        "--stall",
    ):
        assert option in result.output


async def test_runs_logs_its_start_and_stops_on_ctrl_c():
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from pylon_gql.cli import main; main()",
        "simnet",
        "--port",
        "0",
        "--manual",
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("validator_coldkey" in line for line in log):
                line = await process.stderr.readline()
                assert line, "the simnet exited early:\n" + "".join(log)
                log.append(line.decode())
        text = "".join(log)
        url = re.search(r"listening on (ws://\S+)", text)
        assert url is not None
        assert "head #6852690" in text
        assert "subnet 1 " in text and "subnet 2 " in text
        assert "//Bob 5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty" in text
        answer = await raw_request(url.group(1), "chain_getHeader", [])
        assert answer["result"]["number"] == hex(6852690)
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            code = await process.wait()
    assert code == 0
