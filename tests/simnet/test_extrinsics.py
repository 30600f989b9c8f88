"""The pool's checks on submission: what a node refuses, with the node's codes and words;
nothing refused ever reaches a block."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
import turbobt
from scalecodec.base import RuntimeConfigurationObject
from scalecodec.type_registry import load_type_registry_preset
from turbobt.substrate.exceptions import CustomTransactionError, SubstrateException
from turbobt.substrate.pallets.author import Era

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.errors import RpcError
from pylon_gql.simnet.extrinsics import check, era_birth

from .conftest import (
    BOB,
    SNAPSHOT,
    Wallets,
    commitment_info,
    manual_blocks,
    raw_request,
    raw_submit,
    signed_extrinsic,
    submit_raw,
)


async def test_refused_at_submission_change_nothing(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    bob = wallets.validator.hotkey
    # one write first, so that there is a used nonce to replay
    await wbt.subnet(2).commitments.set(b"first", wallet=wallets.validator)
    args = {"netuid": 2, "info": commitment_info(b"lands once")}
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

    # a nonce already used (a nonce ahead is not refused: see the future queue below)
    stale = await signed_extrinsic(wbt, bob, "Commitments", "set_commitment", args, nonce=nonce - 1)
    assert (await raw_submit(writer.url, stale))["error"] == invalid("Transaction is outdated")
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
    args = {"netuid": 2, "info": commitment_info(b"mangled")}
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


@pytest.mark.parametrize("period", [4, 64, 128, 4096, 65536])
@pytest.mark.parametrize("current", [6852690, 6852691, 6852999, 7000001])
def test_era_birth_matches_scalecodec(period: int, current: int):
    config = RuntimeConfigurationObject()
    config.update_type_registry(load_type_registry_preset("core"))
    era: Any = config.create_scale_object("Era")
    data = era.encode({"period": period, "current": current})
    for later in (current, current + 1, current + period // 2):
        assert era_birth(bytes(data.data), later) == era.birth(later)
    assert era_birth(b"\x00", current) is None


async def test_a_nonce_ahead_waits_in_the_future_queue_until_the_gap_fills(
    writer: Simnet, wbt: turbobt.Bittensor, wallets: Wallets
):
    bob = wallets.validator.hotkey
    with manual_blocks(writer):
        nonce = await wbt.subtensor.system.accountNextIndex(bob.ss58_address)
        second = await signed_extrinsic(
            wbt,
            bob,
            "Commitments",
            "set_commitment",
            {"netuid": 2, "info": commitment_info(b"second")},
            nonce=nonce + 1,
        )
        answer = await raw_submit(writer.url, second)
        assert answer["result"] == "0x" + hashlib.blake2b(second, digest_size=32).hexdigest()
        # parked: not ready, not counted by accountNextIndex, listed as pending
        assert writer.world.pool == []
        assert await wbt.subtensor.system.accountNextIndex(bob.ss58_address) == nonce
        pending = await raw_request(writer.url, "author_pendingExtrinsics")
        assert pending["result"] == ["0x" + second.hex()]
        first = await signed_extrinsic(
            wbt,
            bob,
            "Commitments",
            "set_commitment",
            {"netuid": 2, "info": commitment_info(b"first")},
            nonce=nonce,
        )
        assert "result" in await raw_submit(writer.url, first)
        # the gap is filled: both are ready, in nonce order
        assert [t.nonce for t in writer.world.pool] == [nonce, nonce + 1]
        assert writer.world.future == []
        await writer.produce_blocks(1)
    block = await raw_request(writer.url, "chain_getBlock", [writer.head_hash])
    assert block["result"]["block"]["extrinsics"][1:] == ["0x" + first.hex(), "0x" + second.hex()]
    commitment = await wbt.subnet(2).commitments.get(BOB, block_hash=writer.head_hash)
    assert commitment is not None and commitment["data"] == b"second"
