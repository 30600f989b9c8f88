"""Mechanisms on the simnet over a real websocket: subnet 2 has two, split 70/30. The server
reads their count, split and matrices; weights set through it for mechanism 1 are committed
with set_mechanism_weights of mechanism 1 and land in that mechanism's row, read back by
`chainWeights(mechanism: 1)` and by a decode of the raw storage written here (twox128 prefix,
the storage index `mechanism * 4096 + netuid` and the uid as raw little-endian u16 keys, a
SCALE vector of (u16, u16) pairs); mechanism 0 keeps its own weights."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import websockets.asyncio.client as ws_client
import xxhash
from scalecodec.utils.ss58 import ss58_decode

from .conftest import PATIENCE
from .test_weights_chain import BOB, NETUID, chain_server

MECHANISM_STRIDE = 4096


def _twox128(name: str) -> bytes:
    data = name.encode()
    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def weights_key(mechanism: int, uid: int) -> str:
    """`SubtensorModule.Weights` (Identity, Identity) of the mechanism's storage index."""
    index = mechanism * MECHANISM_STRIDE + NETUID
    raw = _twox128("SubtensorModule") + _twox128("Weights")
    return "0x" + (raw + index.to_bytes(2, "little") + uid.to_bytes(2, "little")).hex()


def decode_row(value: str) -> list[tuple[int, int]]:
    """A `Vec<(u16, u16)>`: a compact length, then the pairs (little-endian)."""
    data = bytes.fromhex(value.removeprefix("0x"))
    mode = data[0] & 3
    assert mode in (0, 1), "a row of fewer than 16384 entries"
    length, offset = (
        (data[0] >> 2, 1) if mode == 0 else (int.from_bytes(data[:2], "little") >> 2, 2)
    )
    pairs = []
    for i in range(length):
        at = offset + 4 * i
        pairs.append(
            (
                int.from_bytes(data[at : at + 2], "little"),
                int.from_bytes(data[at + 2 : at + 4], "little"),
            )
        )
    return pairs


async def rpc(url: str, method: str, *params: Any) -> Any:
    async with ws_client.connect(url, max_size=None) as socket:
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        await socket.send(json.dumps(request))
        return json.loads(await socket.recv())["result"]


async def raw_row(url: str, mechanism: int, uid: int, block_hash: str) -> list[tuple[int, int]]:
    value = await rpc(url, "state_getStorage", weights_key(mechanism, uid), block_hash)
    return [] if value is None else decode_row(value)


def _compact(data: bytes, at: int) -> tuple[int, int]:
    """A SCALE compact integer of one or two bytes at `at`: (value, next offset)."""
    mode = data[at] & 3
    assert mode in (0, 1)
    if mode == 0:
        return data[at] >> 2, at + 1
    return int.from_bytes(data[at : at + 2], "little") >> 2, at + 2


async def timelocked_commits(url: str, mechanism: int, block_hash: str) -> list[tuple[bytes, int]]:
    """(hotkey, commit block) of every commit in `TimelockedWeightCommits` under the
    mechanism's storage index (Twox64Concat keys), every epoch's."""
    index = (mechanism * MECHANISM_STRIDE + NETUID).to_bytes(2, "little")
    prefix = _twox128("SubtensorModule") + _twox128("TimelockedWeightCommits")
    prefix += xxhash.xxh64(index, seed=0).digest()[::-1] + index
    keys = await rpc(url, "state_getKeysPaged", "0x" + prefix.hex(), 100, None, block_hash)
    found = []
    for key in keys:
        value = bytes.fromhex((await rpc(url, "state_getStorage", key, block_hash))[2:])
        count, at = _compact(value, 0)
        for _ in range(count):  # (AccountId32, u64 block, BoundedVec<u8>, u64 round)
            hotkey, block = value[at : at + 32], int.from_bytes(value[at + 32 : at + 40], "little")
            length, at = _compact(value, at + 40)
            at += length + 8
            found.append((hotkey, block))
    return found


ROW = """query ($m: Int!, $uids: [Int!]) { metagraph { block { number hash }
  chainWeights(mechanism: $m, uids: $uids) { uid weights { uid weightU16 } } } }"""


def as_pairs(row: dict[str, Any]) -> list[tuple[int, int]]:
    return [(w["uid"], w["weightU16"]) for w in row["weights"]]


async def test_subnet_2s_mechanisms_and_their_matrices(tmp_path: Path) -> None:
    async with chain_server(tmp_path, auto_commit=False) as chain:
        answer = await chain.post(
            "{ metagraph { mechanisms { count splitSet emissionSplit { mechanism shareU16 } } } }"
        )
        mechanisms = answer["data"]["metagraph"]["mechanisms"]
        assert mechanisms == {
            "count": 2,
            "splitSet": True,
            "emissionSplit": [
                {"mechanism": 0, "shareU16": 45875},
                {"mechanism": 1, "shareU16": 19660},
            ],
        }
        # mechanism 1's seeded rows equal the raw storage under index 4096 + 2, and differ
        # from mechanism 0's
        answer = await chain.post(ROW, {"m": 1, "uids": [1, 2]})
        metagraph = answer["data"]["metagraph"]
        block_hash = metagraph["block"]["hash"]
        for row in metagraph["chainWeights"]:
            assert row["weights"], row
            assert as_pairs(row) == await raw_row(chain.simnet.url, 1, row["uid"], block_hash)
        zero = (await chain.post(ROW, {"m": 0, "uids": [1]}))["data"]["metagraph"]
        assert as_pairs(zero["chainWeights"][0]) == await raw_row(
            chain.simnet.url, 0, 1, block_hash
        )
        assert as_pairs(zero["chainWeights"][0]) != as_pairs(metagraph["chainWeights"][0])
        bonds = await chain.post("{ metagraph { bonds(mechanism: 1, uids: [1]) { uid } } }")
        assert "errors" not in bonds, bonds
        # a mechanism beyond the count, read or written
        for document in (
            "{ metagraph { chainWeights(mechanism: 2) { uid } } }",
            "{ metagraph { bonds(mechanism: 5) { uid } } }",
            "mutation { clearWeights(mechanism: 2) { count } }",
        ):
            refused = await chain.post(document)
            assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
            assert "has 2 mechanism(s)" in refused["errors"][0]["message"], refused


SET = """mutation ($w: [WeightInput!]!, $m: Int!) {
  setWeights(weights: $w, mechanism: $m) { __typename } }"""


async def test_mechanism_weights_set_through_the_server_land_under_their_mechanism(
    tmp_path: Path,
) -> None:
    async with chain_server(tmp_path) as chain:
        off = await chain.set_hyperparameter("commit_reveal_weights_enabled", False)
        assert off["value"] is False, off
        answer = await chain.post("{ metagraph { neurons(first: 12) { uid hotkey } } }")
        hotkeys = {n["uid"]: n["hotkey"] for n in answer["data"]["metagraph"]["neurons"]}
        # mechanism 0: uids 8-11 (miners); mechanism 1: uids 9 and 10 only, 1 : 3
        zero = [{"hotkey": hotkeys[uid], "weight": float(uid)} for uid in (8, 9, 10, 11)]
        one = [{"hotkey": hotkeys[9], "weight": 1.0}, {"hotkey": hotkeys[10], "weight": 3.0}]
        for weights, mechanism in ((zero, 0), (one, 1)):
            result = await chain.post(SET, {"w": weights, "m": mechanism})
            assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", result
        stored = await chain.post(
            "{ weights(mechanism: 1) { mechanism weights { hotkey weight mechanism } } }"
        )
        assert stored["data"]["weights"]["mechanism"] == 1
        assert {
            (w["hotkey"], w["weight"], w["mechanism"]) for w in stored["data"]["weights"]["weights"]
        } == {
            (hotkeys[9], 1.0, 1),
            (hotkeys[10], 3.0, 1),
        }

        async def landed() -> list[dict[str, Any]]:
            answer = await chain.post(
                "{ weightCommits(last: 20) { mechanism status mode epoch { start } } }"
            )
            return [c for c in answer["data"]["weightCommits"] if c["status"] == "FINALIZED"]

        async with asyncio.timeout(PATIENCE):
            while {c["mechanism"] for c in await landed()} != {0, 1}:
                await chain.advance(1)
        commits = await landed()
        assert {c["mode"] for c in commits} == {"SET"}
        # each mechanism once in the epoch
        by_epoch = sorted((c["epoch"]["start"], c["mechanism"]) for c in commits)
        assert len(by_epoch) == len(set(by_epoch))

        answer = await chain.post(ROW, {"m": 1, "uids": [0]})
        metagraph = answer["data"]["metagraph"]
        (row,) = metagraph["chainWeights"]
        # //Bob's row of mechanism 1: uid 10 the largest (65535), uid 9 a third of it, every
        # other registered uid 0 (the committer covers all uids)
        pairs = dict(as_pairs(row))
        assert pairs[10] == 65535 and pairs[9] == round(65535 / 3)
        assert {uid for uid, value in pairs.items() if value} == {9, 10}
        raw = await raw_row(chain.simnet.url, 1, 0, metagraph["block"]["hash"])
        assert as_pairs(row) == raw
        # mechanism 0: its own weights, uid 11 the largest
        answer = await chain.post(ROW, {"m": 0, "uids": [0]})
        zero_row = dict(as_pairs(answer["data"]["metagraph"]["chainWeights"][0]))
        assert zero_row[11] == 65535 and zero_row[8] == round(8 / 11 * 65535)
        assert {uid for uid, value in zero_row.items() if value} == {8, 9, 10, 11}


async def test_a_mechanisms_timelocked_commit_lands_under_its_storage_index(
    tmp_path: Path,
) -> None:
    """Commit-reveal on (the default): mechanism 1's weights go with
    commit_timelocked_mechanism_weights of mechanism 1, into TimelockedWeightCommits under
    index 4096 + 2, and mechanism 0's under index 2."""
    async with chain_server(tmp_path) as chain:
        answer = await chain.post("{ metagraph { neurons(first: 10) { uid hotkey } } }")
        hotkeys = {n["uid"]: n["hotkey"] for n in answer["data"]["metagraph"]["neurons"]}
        for mechanism in (0, 1):
            weights = [{"hotkey": hotkeys[8 + mechanism], "weight": 1.0}]
            result = await chain.post(SET, {"w": weights, "m": mechanism})
            assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", result

        async def landed() -> dict[int, dict[str, Any]]:
            answer = await chain.post(
                "{ weightCommits(last: 20) { mechanism status mode block { number hash } } }"
            )
            commits = answer["data"]["weightCommits"]
            return {c["mechanism"]: c for c in commits if c["status"] == "FINALIZED"}

        async with asyncio.timeout(PATIENCE):
            while set(await landed()) != {0, 1}:
                await chain.advance(1)
        commits = await landed()
        bob = bytes.fromhex(ss58_decode(BOB))
        for mechanism, commit in commits.items():
            assert commit["mode"] == "COMMIT_REVEAL"
            block = commit["block"]
            found = await timelocked_commits(chain.simnet.url, mechanism, block["hash"])
            assert (bob, block["number"]) in found, (mechanism, found)
        # one attempt at a time: mechanism 1's landed after mechanism 0's, and not under
        # mechanism 0's index
        one, zero = commits[1]["block"], commits[0]["block"]
        assert one["number"] > zero["number"]
        under_zero = await timelocked_commits(chain.simnet.url, 0, one["hash"])
        assert (bob, one["number"]) not in under_zero and (bob, zero["number"]) in under_zero
