"""The write path: unmodified turbobt signs and submits extrinsics over a real websocket; the
simnet checks them as a node does, puts them in a block and records their events.

One simnet for the module, in manual mode with `auto_produce_on_submit` (a submission makes
its block and `finality_lag` more), so `wait_for_finalization` returns without a producer.
Tests use different subnets or keys where they would otherwise meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import ipaddress
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import turbobt
from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet
from turbobt.substrate.exceptions import CustomTransactionError, SubstrateException
from turbobt.substrate.pallets.author import Era

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.drift import age_commits
from pylon_gql.simnet.errors import RpcError
from pylon_gql.simnet.extrinsics import check, era_birth
from pylon_gql.simnet.hyperparameters import (
    HYPERPARAMETER_NAMES,
    SUDO_HYPERPARAMETERS,
    simnet_hyperparameters,
    sudo_changes,
)
from pylon_gql.simnet.runtime import get_runtime

from .conftest import START_MS, raw_request

SNAPSHOT = 6852690
BOB = Keypair.create_from_uri("//Bob").ss58_address


def _wallet(path: Path, hotkey_uri: str, coldkey_uri: str) -> Wallet:
    wallet = Wallet(f"{hotkey_uri[2:]}-{coldkey_uri[2:]}", "default", str(path))
    hotkey = Keypair.create_from_uri(hotkey_uri)
    coldkey = Keypair.create_from_uri(coldkey_uri)
    wallet._set_hotkey(hotkey, False, True, False, None)
    wallet._set_hotkeypub(hotkey, True)
    wallet._set_coldkey(coldkey, False, True, False, None)
    wallet._set_coldkeypub(coldkey, True)
    return wallet


@dataclasses.dataclass(frozen=True)
class Wallets:
    validator: Wallet  # hotkey //Bob, coldkey //Charlie
    owner: Wallet  # //Alice, both keys
    stranger: Wallet  # hotkey //Eve, coldkey //Dave: registered nowhere


@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory) -> Wallets:
    path = tmp_path_factory.mktemp("wallets")
    return Wallets(
        validator=_wallet(path, "//Bob", "//Charlie"),
        owner=_wallet(path, "//Alice", "//Alice"),
        stranger=_wallet(path, "//Eve", "//Dave"),
    )


@pytest.fixture(scope="module")
async def writer() -> AsyncIterator[Simnet]:
    config = SimnetConfig(
        port=0, manual=True, auto_produce_on_submit=True, start_timestamp_ms=START_MS
    )
    async with Simnet(config) as sim:
        yield sim


@pytest.fixture(scope="module")
async def wbt(writer: Simnet, wallets: Wallets) -> AsyncIterator[turbobt.Bittensor]:
    async with turbobt.Bittensor(writer.url, wallet=wallets.validator) as client:
        yield client


@contextlib.contextmanager
def manual_blocks(simnet: Simnet) -> Iterator[None]:
    """No automatic blocks on submission inside the block: the test produces them."""
    simnet.config.auto_produce_on_submit = False
    try:
        yield
    finally:
        simnet.config.auto_produce_on_submit = True


async def signed_extrinsic(
    bt: turbobt.Bittensor,
    key: Any,
    module: str,
    function: str,
    args: dict[str, Any],
    *,
    nonce: int | None = None,
    era: Era | None = None,
    block_hash: str | None = None,
    immortal: bool = False,
) -> bytes:
    """An extrinsic signed exactly as turbobt's submitAndWatchExtrinsic signs it, not sent."""
    substrate: Any = bt.subtensor
    await substrate._init_runtime()
    call = substrate._registry.create_scale_object("Call", metadata=substrate._metadata)
    call.encode({"call_module": module, "call_function": function, "call_args": args})
    era_obj = substrate._registry.create_scale_object("Era")
    if immortal:
        era_obj.encode("00")
        block_hash = await substrate.chain.getBlockHash(0)
    else:
        header: Any = await substrate.chain.getHeader()
        era = era or Era(period=4, current=header["number"])
        era_obj.encode({"period": era.period, "current": era.current})
        block_hash = block_hash or await substrate.chain.getBlockHash(era_obj.birth(era.current))
    if nonce is None:
        nonce = await substrate.system.accountNextIndex(key.ss58_address)
    extrinsic = substrate.author._sign(
        call,
        key,
        nonce=nonce,
        era=era_obj.value,
        block_hash=block_hash,
        genesis_hash=await substrate.chain.getBlockHash(0),
        runtime_version=await substrate.state.getRuntimeVersion(),
    )
    return bytes(extrinsic.data.data)


async def submit_raw(bt: turbobt.Bittensor, data: bytes) -> Any:
    return await bt.subtensor.rpc("author_submitExtrinsic", {"bytes": "0x" + data.hex()})


def chain_error(error: BaseException) -> str:
    """The chain's name for a failed extrinsic's error, as turbobt raises it: a class of that
    name where turbobt has one, else a SubstrateException carrying the module error (or the
    DispatchError's name)."""
    if type(error).__name__ not in ("SubstrateException", "SubtensorException"):
        return type(error).__name__
    (detail,) = error.args
    return detail["name"] if isinstance(detail, dict) else str(detail)


async def raises_chain_error(name: str, awaitable: Any) -> None:
    with pytest.raises(SubstrateException) as raised:
        await awaitable
    assert chain_error(raised.value) == name


async def raw_submit(url: str, data: bytes) -> dict[str, Any]:
    """author_submitExtrinsic over a raw websocket: the node's whole answer."""
    return await raw_request(url, "author_submitExtrinsic", ["0x" + data.hex()])


def _commitment(text: bytes) -> Any:
    return {"fields": [[{f"Raw{len(text)}": text}]]}


async def _events(bt: turbobt.Bittensor, block_hash: str) -> list[Any]:
    return list(await bt.subtensor.system.Events.get(block_hash=block_hash) or [])


# -- the scenarios ---------------------------------------------------------------------


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
        (e["extrinsic_idx"], e["module_id"], e["event_id"]) for e in await _events(wbt, included)
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
    events = await _events(wbt, writer.finalized_hash)
    assert [e["event_id"] for e in events if e["extrinsic_idx"] == 1] == [
        "Sudid",
        "ExtrinsicSuccess",
    ]
    extrinsic = await admin.sudo_set_tempo(2, 7, wallet=wallets.validator)
    await raises_chain_error("RequireSudo", extrinsic.wait_for_finalization())
    assert await tempo() == 120


async def test_refused_at_submission_change_nothing(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    bob = wallets.validator.hotkey
    # one write first, so that there is a used nonce to replay
    await wbt.subnet(2).commitments.set(b"first", wallet=wallets.validator)
    args = {"netuid": 2, "info": _commitment(b"lands once")}
    nonce = await wbt.subtensor.system.accountNextIndex(bob.ss58_address)
    assert nonce >= 1
    good = await signed_extrinsic(wbt, bob, "Commitments", "set_commitment", args)

    def invalid(reason: str) -> dict[str, Any]:
        return {"code": 1010, "message": "Invalid Transaction", "data": reason}

    # a bad signature: one byte of the signed call changed
    tampered = good[:-1] + bytes((good[-1] ^ 1,))
    answer = await raw_submit(writer.url, tampered)
    assert answer["error"] == invalid("Transaction has a bad signature")
    # turbobt's substrate layer raises CustomTransactionError; its Subtensor client turns a
    # 1010 it has no custom class for into SubtensorException("Invalid Transaction")
    with pytest.raises(SubstrateException, match="Invalid Transaction"):
        await submit_raw(wbt, tampered)
    with pytest.raises(CustomTransactionError):
        await turbobt.substrate.client.Substrate.rpc(
            wbt.subtensor, "author_submitExtrinsic", {"bytes": "0x" + tampered.hex()}
        )

    # a nonce already used, a nonce too far ahead
    stale = await signed_extrinsic(wbt, bob, "Commitments", "set_commitment", args, nonce=nonce - 1)
    assert (await raw_submit(writer.url, stale))["error"] == invalid("Transaction is outdated")
    future = await signed_extrinsic(
        wbt, bob, "Commitments", "set_commitment", args, nonce=nonce + 1
    )
    assert (await raw_submit(writer.url, future))["error"] == invalid(
        "Transaction will be valid in the future"
    )
    # an era born before any block the node knows (signed with some hash for that block)
    ancient = await signed_extrinsic(
        wbt,
        bob,
        "Commitments",
        "set_commitment",
        args,
        era=Era(period=65536, current=SNAPSHOT - 100),
        block_hash="0x" + "11" * 32,
    )
    assert (await raw_submit(writer.url, ancient))["error"] == invalid(
        "Transaction has an ancient birth block"
    )
    # not an extrinsic at all
    answer = await raw_submit(writer.url, b"\x10\x84\x00\x01\x02")
    assert answer["error"]["code"] == 1001
    assert answer["error"]["message"].startswith("Extrinsic has invalid format")
    # unsigned: the timestamp inherent of a block, sent to the pool
    block: Any = await raw_request(writer.url, "chain_getBlock", [writer.head_hash])
    inherent = bytes.fromhex(block["result"]["block"]["extrinsics"][0][2:])
    assert (await raw_submit(writer.url, inherent))["error"] == {
        "code": 1011,
        "message": "Unknown Transaction Validity",
        "data": "Could not find an unsigned validator for the unsigned transaction",
    }

    assert writer.world.pool == []
    assert await wbt.subtensor.system.accountNextIndex(bob.ss58_address) == nonce
    await writer.produce_blocks(1)
    block = await wbt.subtensor.chain.getBlock(writer.head_hash)
    assert len(block["block"]["extrinsics"]) == 1  # the timestamp inherent only
    commitment = await wbt.subnet(2).commitments.get(BOB, block_hash=writer.head_hash)
    assert commitment is not None and commitment["data"] != b"lands once"

    # the good one still lands; twice in the pool is refused; replayed later it is outdated
    with manual_blocks(writer):
        answer = await raw_submit(writer.url, good)
        assert answer["result"] == "0x" + hashlib.blake2b(good, digest_size=32).hexdigest()
        assert (await raw_submit(writer.url, good))["error"] == {
            "code": 1013,
            "message": "Transaction Already Imported",
            "data": "The transaction is already in the pool.",
        }
        await writer.produce_blocks(1)
    assert (await raw_submit(writer.url, good))["error"] == invalid("Transaction is outdated")
    commitment = await wbt.subnet(2).commitments.get(BOB, block_hash=writer.head_hash)
    assert commitment is not None and commitment["data"] == b"lands once"
    assert await wbt.subtensor.system.accountNextIndex(bob.ss58_address) == nonce + 1


async def test_mangled_extrinsics_are_refused_never_crash(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    """Seeded damage to a valid extrinsic (flipped bytes, cuts, junk): each is refused with
    one of the node's codes, never an internal error, and nothing reaches the pool."""
    bob = wallets.validator.hotkey
    args = {"netuid": 2, "info": _commitment(b"mangled")}
    good = await signed_extrinsic(wbt, bob, "Commitments", "set_commitment", args)
    world = writer.world
    rng = random.Random(4)
    codes: set[int] = set()
    for _ in range(400):
        data = bytearray(good)
        kind = rng.randrange(3)
        if kind == 0:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[rng.randrange(1, len(data)) :]
        else:
            data[rng.randrange(len(data))] = rng.randrange(256)
        if bytes(data) == good:
            continue
        with pytest.raises(RpcError) as refused:
            check(world.runtime, world, bytes(data))
        codes.add(refused.value.code)
    assert codes <= {1001, 1010, 1011}
    assert {1001, 1010} <= codes
    assert world.pool == []


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
    assert await subnet.commitments.fetch(block_hash=after) == commitments
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
    newcomer = _wallet(tmp_path, "//Ferdie", "//Dave")
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


async def test_watch_statuses_in_manual_mode(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    """ready at once, inBlock when a block is made, finalized finality_lag blocks later."""
    subtensor = wbt.subtensor
    bob = wallets.validator.hotkey
    with manual_blocks(writer):
        nonce = await subtensor.system.accountNextIndex(bob.ss58_address)
        result = await subtensor.commitments.set_commitment(
            1, _commitment(b"watched"), wallet=wallets.validator
        )
        statuses = aiter(result.subscription)
        assert await asyncio.wait_for(anext(statuses), 5) == "ready"
        # in the pool: the next index counts it, the state does not yet
        assert await subtensor.system.accountNextIndex(bob.ss58_address) == nonce + 1
        pending = await raw_request(writer.url, "author_pendingExtrinsics", [])
        assert pending["result"] == ["0x" + bytes(result.extrinsic.data.data).hex()]

        await writer.produce_blocks(1)
        assert await asyncio.wait_for(anext(statuses), 5) == {"inBlock": writer.head_hash}
        included = writer.head_hash
        await writer.produce_blocks(writer.config.finality_lag)
        assert writer.finalized_hash == included
        # the next status is {"finalized": included}: wait_for_finalization takes it, finds
        # the extrinsic in that block by hash, reads its events, and returns (it succeeded)
        await asyncio.wait_for(result.wait_for_finalization(), 5)
    commitment = await wbt.subnet(1).commitments.get(BOB, block_hash=included)
    assert commitment is not None and commitment["data"] == b"watched"


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
    assert tempos == [50, 50, 360]


def test_commits_age_out_after_the_reveal_period(writer: Simnet):
    subnet = writer.world.head.subnets[2]
    tempo = subnet.hyperparameters["tempo"]
    period = subnet.hyperparameters["commit_reveal_period"]
    commit = [b"\x01" * 32, 1, b"ciphertext", 7]
    # block `start` opens epoch `epoch` of this subnet
    epoch = 20_000
    start = epoch * (tempo + 1) - subnet.netuid - 1
    aged = dataclasses.replace(
        subnet, weight_commits={epoch - period: [commit], epoch - period + 1: [commit]}
    )
    # the first block of epoch E + period: the commits of E are revealed (here: dropped)
    kept = age_commits(aged, start)
    assert list(kept.weight_commits) == [epoch - period + 1]
    # the block before: both kept
    assert age_commits(aged, start - 1) is aged


# -- pieces ------------------------------------------------------------------------------------


def test_every_sudo_call_maps_to_a_kept_hyperparameter_or_to_nothing():
    runtime = get_runtime()
    calls = runtime.pallet_calls["AdminUtils"]
    kept = simnet_hyperparameters({name: 0 for name in HYPERPARAMETER_NAMES})
    mapped: dict[str, list[str]] = {}
    for function, names in calls.items():
        if "netuid" not in names:
            continue
        changes = sudo_changes(function, {n: 1 for n in names if n != "netuid"}, kept)
        if changes is not None:
            assert set(changes) <= {*kept, "owner_hotkey"}, function
            mapped[function] = sorted(changes)
    assert mapped["sudo_set_tempo"] == ["tempo"]
    assert mapped["sudo_set_weights_set_rate_limit"] == ["weights_rate_limit"]
    assert mapped["sudo_set_commit_reveal_weights_enabled"] == ["commit_reveal_weights_enabled"]
    assert mapped["sudo_set_commit_reveal_weights_interval"] == ["commit_reveal_period"]
    assert mapped["sudo_set_max_weight_limit"] == ["max_weights_limit"]
    assert mapped["sudo_set_alpha_values"] == ["alpha_high", "alpha_low"]
    assert "sudo_set_max_allowed_uids" not in mapped  # nothing the simnet keeps behind it
    # every renamed call in the table exists in the metadata
    assert {f"sudo_set_{name}" for name in SUDO_HYPERPARAMETERS} <= set(calls)
    # every hyperparameter turbobt reads can be set by some call
    covered = {name for changes in mapped.values() for name in changes}
    assert set(HYPERPARAMETER_NAMES) <= covered


@pytest.mark.parametrize("period", [4, 64, 128, 4096, 65536])
@pytest.mark.parametrize("current", [6852690, 6852691, 6852999, 7000001])
def test_era_birth_matches_scalecodec(period: int, current: int):
    from scalecodec.base import RuntimeConfigurationObject
    from scalecodec.type_registry import load_type_registry_preset

    config = RuntimeConfigurationObject()
    config.update_type_registry(load_type_registry_preset("core"))
    era: Any = config.create_scale_object("Era")
    data = era.encode({"period": period, "current": current})
    for later in (current, current + 1, current + period // 2):
        assert era_birth(bytes(data.data), later) == era.birth(later)
    assert era_birth(b"\x00", current) is None
