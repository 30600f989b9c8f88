"""The newest bittensor 10.x SDK against the simnet, in an environment of its own.

10.x pins dependencies the server's environment cannot hold beside it, so `uv run --isolated
--with bittensor==10.5.0` makes one (uv caches it: only the first run downloads) and runs
`sdk10_reads.py` in a subprocess against a simnet on this test's loop. Every value is compared
with the world state at the head (manual mode: the head does not move while it reads).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY
from pylon_gql.simnet.state import BlockState

from ..conftest import START_MS

SDK10 = "bittensor==10.5.0"
SCRIPT = Path(__file__).with_name("sdk10_reads.py")


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        await sim.produce_blocks(12)
        yield sim


@pytest.fixture(scope="module")
async def read(simnet: Simnet) -> dict[str, Any]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH: cannot make the 10.x environment")
    process = await asyncio.create_subprocess_exec(
        uv, "run", "--isolated", "--no-project", "--quiet", "--with", SDK10,
        "python", str(SCRIPT), simnet.url,
        cwd=SCRIPT.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=110)
    if process.returncode != 0 and b"Failed to" in stderr and b"bittensor" in stderr:
        pytest.skip(f"{SDK10} cannot be installed here: {stderr.decode()[-300:]}")
    assert process.returncode == 0, stderr.decode()[-2000:]
    return json.loads(stdout.decode().strip().splitlines()[-1])


def _head(simnet: Simnet) -> BlockState:
    return simnet.world.head


@pytest.mark.timeout(120)
def test_the_10x_sdk_reads_what_the_world_holds(simnet: Simnet, read: dict[str, Any]):
    state = _head(simnet)
    subnet = state.subnets[1]
    lite = [n.lite for n in subnet.neurons]
    assert read["version"].startswith("10.")
    assert read["block"] == state.number
    assert read["neurons_lite"] == [
        [n["uid"], ss58_encode(n["hotkey"], 42), n["last_update"]] for n in lite
    ]
    assert read["neuron_for_uid"] == ss58_encode(lite[5]["hotkey"], 42)
    assert read["metagraph_lite"] == [n["last_update"] for n in lite]
    assert read["subnetwork_n"] == read["subnet_info"] == 1024
    assert read["hyperparameters"] == read["tempo"] == subnet.hyperparameters["tempo"] == 99
    assert read["all_subnets"] == [1, 2]
    committed = {ss58_encode(k, 42) for k in subnet.commitments}
    assert set(read["all_commitments"]) == committed
    assert read["commitment"] == "https://apex.example/v1"
    assert sorted(read["weights"]) == [[uid, row] for uid, row in sorted(subnet.weights.items())]
    assert sorted(read["bonds"]) == [[uid, row] for uid, row in sorted(subnet.bonds.items())]
    assert read["blocks_since_last_update"] == state.number - lite[5]["last_update"]
    assert read["netuids_for_hotkey"] == [1, 2]
    bob = state.subnets[2].neurons[0]
    assert bob.hotkey == VALIDATOR_HOTKEY
    assert read["stake_for_hotkey"] == bob.extra["alpha_stake"]
    params = subnet.hyperparameters
    assert read["immunity_period"] == params["immunity_period"]
    assert read["min_allowed_weights"] == params["min_allowed_weights"]
    assert read["commit_reveal_enabled"] is params["commit_reveal_weights_enabled"] is True
    assert read["weights_rate_limit"] == params["weights_rate_limit"]
    # newer than the simnet's spec-318 runtime: the SDK refuses before asking
    assert "get_next_epoch_start_block" in read["blocks_until_next_epoch"]["error"]
