"""The newest bittensor 10.x SDK against the simnet, in an environment of its own.

10.x pins dependencies the server's environment cannot hold beside it, so it runs in its own
process (`sdk10` in conftest.py: `uv run --isolated --with bittensor==10.5.0`, imported once
per session) against simnets on this test's loop: `sdk10_reads.py` reads one, `sdk10_writes.py`
writes to another (one run for every write) and reads each write back. Every value is
compared with the world state at the block it was read at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from bittensor.keyfiles import Keypair
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.hash_commits import reveal_window
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY
from pylon_gql.simnet.state import BlockState, epoch_index

from ..conftest import START_MS
from .conftest import Sdk10, writing_simnet

BOB = ss58_encode(VALIDATOR_HOTKEY, 42)
EVE = Keypair.create_from_uri("//Eve").public_key
DAVE = Keypair.create_from_uri("//Dave").public_key


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        await sim.produce_blocks(12)
        yield sim


@pytest.fixture(scope="module")
async def read(simnet: Simnet, sdk10: Sdk10) -> dict[str, Any]:
    return await sdk10.run("sdk10_reads.py", simnet.url)


@pytest.fixture(scope="module")
async def writer() -> AsyncIterator[Simnet]:
    async with writing_simnet() as sim:
        yield sim


@pytest.fixture(scope="module")
async def wrote(writer: Simnet, sdk10: Sdk10) -> dict[str, Any]:
    return await sdk10.run("sdk10_writes.py", writer.url)


def _head(simnet: Simnet) -> BlockState:
    return simnet.world.head


def _at(simnet: Simnet, number: int) -> BlockState:
    state = simnet.world.state_of(simnet.world.hash_by_number[number])
    assert state is not None
    return state


def _landed(wrote: dict[str, Any], name: str) -> int:
    """The block the write `name` landed in (it succeeded)."""
    result = wrote[name]
    assert result["success"], result["message"]
    assert isinstance(result["block"], int)
    return result["block"]


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


# -- writes: one run of sdk10_writes.py, each write checked against the world ---------------


@pytest.mark.timeout(120)
def test_the_10x_owner_sets_hyperparameters_through_sudo(writer: Simnet, wrote: dict[str, Any]):
    assert wrote["version"].startswith("10.")
    off = _landed(wrote, "sudo_cr_off")
    assert _at(writer, off - 1).subnets[1].hyperparameters["commit_reveal_weights_enabled"]
    _landed(wrote, "sudo_rate_limit")
    read = wrote["commit_reveal_enabled"]
    params = _at(writer, read["block"]).subnets[1].hyperparameters
    assert read["value"] is params["commit_reveal_weights_enabled"] is False
    read = wrote["weights_rate_limit"]
    assert read["value"] == _at(writer, read["block"]).subnets[1].hyperparameters[
        "weights_rate_limit"
    ] == 0  # fmt: skip
    assert wrote["hyperparameters"]["value"] == [False, 0]


def test_the_10x_set_weights_in_the_clear(writer: Simnet, wrote: dict[str, Any]):
    """Commit-reveal off on subnet 1: `set_mechanism_weights`, //Bob's row in Weights."""
    uid = wrote["bob_uid"]
    assert uid == _head(writer).subnets[1].uid_of(VALIDATOR_HOTKEY) == 2
    landed = _landed(wrote, "set_weights_clear")
    state = _at(writer, landed)
    assert state.subnets[1].weights[uid] == [[3, 21845], [4, 65535]]
    assert state.subnets[1].neurons[uid].lite["last_update"] == landed
    read = wrote["weights_clear"]
    assert read["value"] == _at(writer, read["block"]).subnets[1].weights[uid]
    read = wrote["blocks_since_last_update"]
    assert read["value"] == read["block"] - landed


def test_the_10x_commit_then_reveal_weights(writer: Simnet, wrote: dict[str, Any]):
    """Commit-reveal on again on subnet 1: `commit_mechanism_weights` (a hash) waits in
    WeightCommits, its reveal is refused before the next epoch and lands in Weights in it."""
    uid = wrote["bob_uid"]
    committed = _landed(wrote, "commit_weights")
    read = wrote["hash_commit_pending"]
    pending = _at(writer, read["block"]).subnets[1].hash_commits[VALIDATOR_HOTKEY]
    assert read["value"] == [["0x" + c[0].hex(), *c[1:]] for c in pending]
    first, last = reveal_window(_at(writer, committed).subnets[1], committed)
    assert read["value"][0][1:] == [committed, first, last]
    early = wrote["reveal_too_early"]
    assert not early["success"] and "RevealTooEarly" in early["message"]
    assert _landed(wrote, "reveal_weights") == first
    state = _at(writer, first)
    assert VALIDATOR_HOTKEY not in state.subnets[1].hash_commits
    assert state.subnets[1].weights[uid] == [[3, 21845], [4, 43690], [5, 65535]]
    read = wrote["weights_revealed"]
    assert read["value"] == _at(writer, read["block"]).subnets[1].weights[uid]


async def test_the_10x_set_weights_with_commit_reveal_is_a_timelocked_commit(
    writer: Simnet, wrote: dict[str, Any]
):
    """Commit-reveal on (subnet 2): 10.5's `set_weights` reads LastEpochBlock, PendingEpochAt
    and SubnetEpochIndex (newer than spec 318) and refuses before signing. Given those from
    what spec 318 has, it sends `commit_timelocked_mechanism_weights`: the commit waits in
    TimelockedWeightCommits and is never revealed — the chain decrypts it with the drand
    round's signature, which a simnet offline does not have — so at the reveal epoch it is
    dropped and //Bob's weights stay what they were."""
    refused = wrote["set_weights_timelocked"]
    assert not refused["success"] and "LastEpochBlock" in refused["message"]
    committed = _landed(wrote, "set_weights_timelocked_shimmed")
    before = _at(writer, committed - 1).subnets[2]
    state = _at(writer, committed)
    epoch = epoch_index(state.subnets[2], committed)
    mine = [c for c in state.subnets[2].weight_commits[epoch] if c[0] == VALIDATOR_HOTKEY]
    assert len(mine) == 1 and mine[0][1] == committed
    read = wrote["timelocked_pending"]
    assert [BOB, committed, mine[0][3]] in read["value"]
    assert read["value"] == [
        [ss58_encode(c[0], 42), c[1], c[3]]
        for commits in _at(writer, read["block"]).subnets[2].weight_commits.values()
        for c in commits
    ]
    read = wrote["weights_timelocked"]
    assert read["value"] == before.weights[0] == _at(writer, read["block"]).subnets[2].weights[0]
    # the reveal epoch begins: the commit goes, unrevealed
    first, _ = reveal_window(state.subnets[2], committed)
    if writer.head_number < first:
        await writer.produce_blocks(first - writer.head_number)
    after = _at(writer, first).subnets[2]
    assert not [c for cs in after.weight_commits.values() for c in cs if c[1] == committed]
    assert after.weights[0] == before.weights[0]


def test_the_10x_set_commitment_and_get_commitment(writer: Simnet, wrote: dict[str, Any]):
    landed = _landed(wrote, "set_commitment")
    read = wrote["commitment"]
    assert read["value"] == "sdk 10 was here"
    commitment = _at(writer, read["block"]).subnets[2].commitments[VALIDATOR_HOTKEY]
    assert commitment["block"] == landed
    assert commitment["info"] == {"fields": [{"Raw15": b"sdk 10 was here"}]}


def test_the_10x_serve_axon(writer: Simnet, wrote: dict[str, Any]):
    landed = _landed(wrote, "serve_axon")
    read = wrote["axon"]
    assert read["value"] == ["10.1.2.3", 8099]
    axon = _at(writer, read["block"]).subnets[2].neurons[0].lite["axon_info"]
    assert (axon["ip"], axon["port"], axon["block"]) == (0x0A010203, 8099, landed)


def test_the_10x_transfer_and_burned_register(writer: Simnet, wrote: dict[str, Any]):
    landed = _landed(wrote, "transfer")
    before, after = wrote["balance_before"], wrote["balance_after"]
    assert after["value"] - before["value"] == 5000 * 10**9
    for read in (before, after):
        account = _at(writer, read["block"]).accounts.get(DAVE)
        assert read["value"] == (account["data"]["free"] if account else 0)
    assert after["block"] >= landed
    registered = _landed(wrote, "burned_register")
    read = wrote["eve_uid"]
    subnet = _at(writer, read["block"]).subnets[2]
    assert read["value"] == subnet.uid_of(EVE) is not None
    assert subnet.neurons[read["value"]].extra["block_at_registration"] == registered
    read = wrote["recycle"]
    assert read["value"] == _at(writer, read["block"]).subnets[2].hyperparameters["burn"]
