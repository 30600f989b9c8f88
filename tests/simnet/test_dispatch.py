"""The write path's dispatch: unmodified turbobt signs and submits extrinsics over a real
websocket; the simnet runs them in a block with the chain's checks and records their events."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import turbobt
from bittensor.wallet import Wallet

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.dispatch import Dispatcher
from pylon_gql.simnet.genesis import first_state
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.snapshot import get_snapshot
from pylon_gql.simnet.state import BlockDraft
from pylon_gql.simnet.transaction import Transaction

from .conftest import (
    BOB,
    SNAPSHOT,
    START_MS,
    Wallets,
    commitment_info,
    events_of,
    make_wallet,
    raises_chain_error,
    raw_submit,
    signed_extrinsic,
)


async def test_validator_sets_a_commitment_and_reads_it_back(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    subnet = wbt.subnet(2)
    before = writer.head_number
    earlier = await subnet.commitments.get(BOB, block_hash=writer.head_hash)
    await subnet.commitments.set(b"endpoint https://bob.example", wallet=wallets.validator)
    # its block, then finality_lag more: the block is finalized
    assert writer.head_number == before + 1 + writer.config.finality_lag
    included = writer.world.hash_by_number[before + 1]
    commitment = await subnet.commitments.get(BOB, block_hash=writer.finalized_hash)
    assert commitment is not None
    assert commitment["data"] == b"endpoint https://bob.example"
    assert commitment["block"] == before + 1
    # the parent block still has the old one
    old = await subnet.commitments.get(BOB, block_hash=writer.world.hash_by_number[before])
    assert old == earlier
    assert old is not None and old["data"] != b"endpoint https://bob.example"

    # the block lists it after the timestamp inherent; its events say what happened
    block: Any = await wbt.subtensor.chain.getBlock(included)
    timestamp, extrinsic = block["block"]["extrinsics"]
    assert timestamp["call"]["call_module"] == "Timestamp"
    assert extrinsic["call"]["call_function"] == "set_commitment"
    assert extrinsic["address"] == "0x" + wallets.validator.hotkey.public_key.hex()
    events = [
        (e["extrinsic_idx"], e["module_id"], e["event_id"]) for e in await events_of(wbt, included)
    ]
    assert events == [
        (0, "System", "ExtrinsicSuccess"),
        (1, "Commitments", "Commitment"),
        (1, "System", "ExtrinsicSuccess"),
    ]


async def test_commit_with_commit_reveal_on_is_pending(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    subnet = wbt.subnet(2)
    before = await subnet.weights.fetch_pending(block_hash=writer.head_hash)
    reveal_round = await subnet.weights.commit({3: 1.0, 4: 0.5}, wallet=wallets.validator)
    assert isinstance(reveal_round, int) and reveal_round > 0
    committed_at = writer.finalized_number
    pending = await subnet.weights.fetch_pending(block_hash=writer.finalized_hash)
    params: Any = await subnet.get_hyperparameters(block_hash=writer.finalized_hash)
    epoch = (committed_at + 2 + 1) // (params["tempo"] + 1)
    commit = pending[epoch][BOB]
    assert commit.reveal_round == reveal_round
    assert commit.block == committed_at
    assert len(commit.commit) > 100  # a drand timelock ciphertext
    # the commits already there (the seeded one of uid 1, at start) stay beside it
    assert set(pending[epoch]) == {*before.get(epoch, {}), BOB}
    # committing moved //Bob's last_update; the clear weights did not change
    neurons = await subnet.list_neurons(block_hash=writer.finalized_hash)
    assert neurons[0].last_update == committed_at
    earlier = writer.world.hash_by_number[committed_at - 1]
    assert (await subnet.weights.get(0, block_hash=writer.finalized_hash)) == (
        await subnet.weights.get(0, block_hash=earlier)
    )

    # a second commit inside weights_rate_limit (100 blocks)
    await raises_chain_error(
        "CommittingWeightsTooFast", subnet.weights.commit({3: 1.0}, wallet=wallets.validator)
    )
    again = await subnet.weights.fetch_pending(block_hash=writer.finalized_hash)
    assert list(again[epoch]) == list(pending[epoch])

    # with commit-reveal on, weights in the clear are refused
    await raises_chain_error(
        "CommitRevealEnabled", subnet.weights.set({3: 1.0}, wallet=wallets.validator)
    )


async def test_set_weights_once_the_owner_turns_commit_reveal_off(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    subnet = wbt.subnet(1)
    admin = wbt.subtensor.admin_utils
    owner = wallets.owner
    await (
        await admin.sudo_set_commit_reveal_weights_enabled(1, False, wallet=owner)
    ).wait_for_finalization()
    await (await admin.sudo_set_weights_set_rate_limit(1, 10, wallet=owner)).wait_for_finalization()
    params: Any = await subnet.get_hyperparameters(block_hash=writer.finalized_hash)
    assert params is not None
    assert params["commit_reveal_weights_enabled"] is False
    assert params["weights_rate_limit"] == 10

    # //Bob took uid 2 of subnet 1 at block 6852691: the rate limit counts from there
    await writer.produce_blocks(max(0, SNAPSHOT + 1 + 10 - writer.head_number))
    await subnet.weights.set({5: 2.0, 7: 0.5, 9: 0.0}, wallet=wallets.validator)
    at = writer.finalized_hash
    weights = await subnet.weights.fetch(block_hash=at)
    assert weights[2] == pytest.approx({5: 1.0, 7: 0.25, 9: 0.0}, abs=1e-4)
    raw = await wbt.subtensor.subtensor_module.Weights.get(1, 2, block_hash=at)
    assert raw == [(5, 65535), (7, 16384), (9, 0)]
    neurons = await subnet.list_neurons(block_hash=at)
    assert neurons[2].hotkey == BOB
    assert neurons[2].last_update == writer.finalized_number

    # again, inside the rate limit: the named error, and the row stays
    await raises_chain_error(
        "SettingWeightsTooFast", subnet.weights.set({5: 1.0}, wallet=wallets.validator)
    )
    assert (await subnet.weights.fetch(block_hash=writer.finalized_hash))[2] == weights[2]

    # the chain's other checks, through the call itself
    async def set_weights(dests: list[int], values: list[int]) -> None:
        extrinsic = await wbt.subtensor.author.submitAndWatchExtrinsic(
            "SubtensorModule",
            "set_weights",
            {"netuid": 1, "dests": dests, "weights": values, "version_key": 2**63},
            key=wallets.validator.hotkey,
        )
        await extrinsic.wait_for_finalization()

    await raises_chain_error("WeightVecNotEqualSize", set_weights([5, 7], [1]))
    await writer.produce_blocks(10)
    await raises_chain_error("UidVecContainInvalidOne", set_weights([5, 1024], [1, 2]))
    await raises_chain_error("DuplicateUids", set_weights([5, 5], [1, 2]))
    assert (await subnet.weights.fetch(block_hash=writer.finalized_hash))[2] == weights[2]
    await set_weights([8], [3])  # the plain set_weights call lands too
    raw = await wbt.subtensor.subtensor_module.Weights.get(1, 2, block_hash=writer.finalized_hash)
    assert raw == [(8, 65535)]


async def test_owner_sets_tempo_anyone_else_gets_bad_origin(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    subnet = wbt.subnet(2)
    author = wbt.subtensor.author

    async def set_tempo(tempo: int, wallet: Wallet) -> None:
        # the AdminUtils call itself, signed by the coldkey (turbobt's sudo_set_tempo wraps
        # it in Sudo.sudo, below)
        extrinsic = await author.submitAndWatchExtrinsic(
            "AdminUtils", "sudo_set_tempo", {"netuid": 2, "tempo": tempo}, key=wallet.coldkey
        )
        await extrinsic.wait_for_finalization()

    async def tempo() -> int:
        params: Any = await subnet.get_hyperparameters(block_hash=writer.finalized_hash)
        assert params is not None
        return params["tempo"]

    await set_tempo(99, wallets.owner)
    assert await tempo() == 99
    info = await subnet.get(block_hash=writer.finalized_hash)
    assert info is not None and info.tempo == 99

    # the validator's coldkey does not own the subnet
    await raises_chain_error("BadOrigin", set_tempo(7, wallets.validator))
    assert await tempo() == 99

    # through Sudo.sudo: the sudo key (//Alice on this dev chain) may, others may not
    admin = wbt.subtensor.admin_utils
    await (await admin.sudo_set_tempo(2, 120, wallet=wallets.owner)).wait_for_finalization()
    assert await tempo() == 120
    events = await events_of(wbt, writer.finalized_hash)
    assert [e["event_id"] for e in events if e["extrinsic_idx"] == 1] == [
        "Sudid",
        "ExtrinsicSuccess",
    ]
    extrinsic = await admin.sudo_set_tempo(2, 7, wallet=wallets.validator)
    await raises_chain_error("RequireSudo", extrinsic.wait_for_finalization())
    assert await tempo() == 120


async def test_unregistered_hotkey_fails_in_the_block_and_changes_nothing(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    stranger = wallets.stranger
    subnet = wbt.subnet(1)
    before = writer.finalized_hash
    commitments = await subnet.commitments.fetch(block_hash=before)
    await raises_chain_error(
        "AccountNotAllowedCommit", subnet.commitments.set(b"not mine", wallet=stranger)
    )
    await raises_chain_error(
        "HotKeyNotRegisteredInSubNet", wbt.subnet(2).weights.commit({1: 1.0}, wallet=stranger)
    )
    after = writer.finalized_hash
    # the same commitments, but for those the drift removed meanwhile with their hotkeys
    # (deregistered miners), which depends on the blocks earlier tests produced
    later = await subnet.commitments.fetch(block_hash=after)
    registered = {n.hotkey for n in await subnet.list_neurons(block_hash=after)}
    dropped = {hotkey for hotkey in commitments if hotkey not in registered}
    assert later == {k: v for k, v in commitments.items() if k not in dropped}
    assert stranger.hotkey.ss58_address not in later
    pending = await wbt.subnet(2).weights.fetch_pending(block_hash=after)
    assert all(stranger.hotkey.ss58_address not in commits for commits in pending.values())
    # a failed call still uses its nonce, as on the chain
    nonce = await wbt.subtensor.system.accountNextIndex(stranger.hotkey.ss58_address)
    assert nonce == 2


async def test_a_call_the_simnet_does_not_simulate_fails_clearly(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    extrinsic = await wbt.subtensor.subtensor_module.add_stake(
        netuid=2, hotkey=BOB, amount_staked=1000, wallet=wallets.validator
    )
    await raises_chain_error("Other", extrinsic.wait_for_finalization())


async def test_register_a_hotkey_and_serve_an_axon(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets, tmp_path: Path
):
    newcomer = make_wallet(tmp_path, "//Ferdie", "//Dave")
    subnet = wbt.subnet(2)
    await subnet.neurons.register(newcomer.hotkey, wallet=newcomer)
    neurons = await subnet.list_neurons(block_hash=writer.finalized_hash)
    (mine,) = [n for n in neurons if n.hotkey == newcomer.hotkey.ss58_address]
    assert mine.coldkey == newcomer.coldkey.ss58_address
    assert mine.stake == 0
    await raises_chain_error(
        "HotKeyAlreadyRegisteredInSubNet",
        subnet.neurons.register(newcomer.hotkey, wallet=newcomer),
    )

    await subnet.neurons.serve("10.1.2.3", 8099, wallet=newcomer)
    neurons = await subnet.list_neurons(block_hash=writer.finalized_hash)
    axon = neurons[mine.uid].axon_info
    assert axon.ip == ipaddress.ip_address("10.1.2.3")
    assert axon.port == 8099


async def test_same_extrinsics_same_chain(wbt: turbobt.Bittensor, wallets: Wallets):
    """Writes are deterministic: the same bytes into two simnets give the same blocks; a
    simnet without them differs from the block that would have held them."""
    alice = wallets.owner.coldkey
    data = await signed_extrinsic(
        wbt,
        alice,
        "AdminUtils",
        "sudo_set_tempo",
        {"netuid": 1, "tempo": 50},
        nonce=0,
        immortal=True,
    )
    heads: list[list[str]] = []
    tempos: list[int] = []
    for submit in (True, True, False):
        config = SimnetConfig(port=0, manual=True, start_timestamp_ms=START_MS)
        async with Simnet(config) as sim:
            await sim.produce_blocks(2)
            if submit:
                assert "result" in await raw_submit(sim.url, data)
            await sim.produce_blocks(3)
            heads.append([sim.world.hash_by_number[SNAPSHOT + n] for n in range(1, 6)])
            tempos.append(sim.world.head.subnets[1].hyperparameters["tempo"])
    assert heads[0] == heads[1]
    assert heads[0][:2] == heads[2][:2]
    assert all(a != b for a, b in zip(heads[0][2:], heads[2][2:], strict=True))
    assert tempos == [50, 50, 99]


def test_the_dispatcher_runs_on_a_draft_without_a_world():
    """Dispatch on its own: a BlockDraft in, event records out; the state the draft came from
    is not touched, and a failed call still uses its nonce."""
    runtime = get_runtime()
    state = first_state(
        runtime, get_snapshot(runtime), seed=0, timestamp_ms=START_MS, synthetic_neurons=16
    )
    draft = BlockDraft(
        state.number + 1, dict(state.subnets), dict(state.accounts), state.stake_threshold
    )
    info = commitment_info(b"direct")
    commit = Transaction(
        data=b"",
        hash="0x",
        signer=VALIDATOR_HOTKEY,
        nonce=0,
        pallet="Commitments",
        function="set_commitment",
        args={"netuid": 2, "info": info},
    )
    unsupported = dataclasses.replace(
        commit, nonce=1, pallet="Balances", function="transfer_all", args={}
    )
    records = Dispatcher(runtime).apply(draft, [commit, unsupported], first_index=1)
    assert [(r["phase"]["ApplyExtrinsic"], *_names(r["event"])) for r in records] == [
        (1, "Commitments", "Commitment"),
        (1, "System", "ExtrinsicSuccess"),
        (2, "System", "ExtrinsicFailed"),
    ]
    assert records[0]["event"]["Commitments"]["Commitment"] == {
        "netuid": 2,
        "who": VALIDATOR_HOTKEY,
    }
    assert records[2]["event"]["System"]["ExtrinsicFailed"]["dispatch_error"] == "Other"
    registration = {"deposit": 0, "block": draft.number, "info": info}
    assert draft.subnets[2].commitments[VALIDATOR_HOTKEY] == registration
    assert state.subnets[2].commitments[VALIDATOR_HOTKEY] != registration
    assert draft.accounts[VALIDATOR_HOTKEY]["nonce"] == 2
    assert state.accounts[VALIDATOR_HOTKEY]["nonce"] == 0


def _names(event: dict[str, Any]) -> tuple[str, str]:
    ((pallet, inner),) = event.items()
    (name,) = inner
    return pallet, name


@pytest.mark.parametrize(
    ("change", "dests", "values", "error"),
    [
        # more uids than the subnet has
        ({}, list(range(17)), [1] * 17, "UidsLengthExceedUidsInSubNet"),
        # uid 9 of subnet 2 is a miner: no validator permit, and not a self-weight
        ({"signer": 9}, [1, 2], [1, 1], "NeuronNoValidatorPermit"),
        ({"min_allowed_weights": 3}, [1, 2], [1, 1], "WeightVecLengthIsLow"),
        ({"max_weights_limit": 40000}, [1, 2], [1, 3], "MaxWeightExceeded"),
    ],
)
def test_set_weights_has_subtensor_s_checks(
    change: dict[str, int], dests: list[int], values: list[int], error: str
):
    runtime = get_runtime()
    state = first_state(
        runtime, get_snapshot(runtime), seed=0, timestamp_ms=START_MS, synthetic_neurons=16
    )
    subnet = state.subnets[2]
    params = {
        **subnet.hyperparameters,
        "commit_reveal_weights_enabled": False,
        "weights_rate_limit": 0,
        **{k: v for k, v in change.items() if k != "signer"},
    }
    subnet = dataclasses.replace(subnet, hyperparameters=params)
    signer = subnet.neurons[change.get("signer", 0)].hotkey
    draft = BlockDraft(state.number + 1, {**state.subnets, 2: subnet}, dict(state.accounts), 0)
    tx = Transaction(
        data=b"",
        hash="0x",
        signer=signer,
        nonce=0,
        pallet="SubtensorModule",
        function="set_weights",
        args={"netuid": 2, "dests": dests, "weights": values, "version_key": 10**9},
    )
    (record,) = Dispatcher(runtime).apply(draft, [tx], first_index=1)
    failed = record["event"]["System"]["ExtrinsicFailed"]["dispatch_error"]["Module"]
    errors = runtime.pallet_errors["SubtensorModule"]
    assert failed["error"][0] == errors[error]
    # the same weights pass once the rule is met: a self-weight needs no permit
    if error == "NeuronNoValidatorPermit":
        ok = dataclasses.replace(tx, args={**tx.args, "dests": [9], "weights": [1]})
        (done, _success) = Dispatcher(runtime).apply(draft, [ok], first_index=1)
        assert _names(done["event"]) == ("SubtensorModule", "WeightsSet")
