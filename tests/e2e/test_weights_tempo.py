"""Weights written under one tempo survive the owner raising it, over HTTP on the simnet: the
weights are still the epoch's, deltas add to them, and a commit puts them on chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from turbobt import Bittensor

from .test_weights_chain import NETUID, TEMPO, chain_server

WEIGHTS = "query { weights { epoch { start tempo } weights { hotkey weight } } }"
SET_WEIGHTS = """mutation ($w: [WeightInput!]!) {
  setWeights(weights: $w) { __typename ... on SetWeightsSuccess { epoch { start tempo } } } }"""
UPDATE_WEIGHT = """mutation ($hotkey: String!, $delta: Float!) {
  updateWeight(hotkey: $hotkey, delta: $delta) {
    __typename ... on WeightSuccess { epoch { start } weight { weight } } } }"""
COMMIT = """mutation { commitWeights { __typename
  ... on CommitWeightsSuccess { commit { id epoch { start } status } }
  ... on CommitRefused { reason message } } }"""


async def test_weights_written_at_tempo_9_survive_a_raise_to_360_and_are_committed(
    tmp_path: Path,
) -> None:
    async with chain_server(tmp_path, auto_commit=False) as chain:
        # In the clear, so that the weights can be read back from the chain.
        off = await chain.set_hyperparameter("commit_reveal_weights_enabled", False)
        assert off["value"] is False, off
        await chain.synced()
        result = await chain.post("{ metagraph { neurons(first: 4) { hotkey } } }")
        hotkeys = [n["hotkey"] for n in result["data"]["metagraph"]["neurons"]]
        written = await chain.post(
            SET_WEIGHTS,
            {"w": [{"hotkey": h, "weight": float(i + 1)} for i, h in enumerate(hotkeys)]},
        )
        success = written["data"]["setWeights"]
        assert success["epoch"]["tempo"] == TEMPO, written
        key = success["epoch"]["start"]

        raised = await chain.set_hyperparameter("tempo", 360)
        assert raised["value"] == 360, raised
        await chain.synced()
        head = (await chain.post("{ head { number epoch { start tempo } } }"))["data"]["head"]
        # The new tempo puts the head in an epoch that starts before the weights were written.
        assert head["epoch"]["tempo"] == 360 and head["epoch"]["start"] < key, (head, key)

        weights = (await chain.post(WEIGHTS))["data"]["weights"]
        assert weights["epoch"] == {"start": key, "tempo": 360}
        assert {w["hotkey"]: w["weight"] for w in weights["weights"]} == {
            h: float(i + 1) for i, h in enumerate(hotkeys)
        }
        updated = (await chain.post(UPDATE_WEIGHT, {"hotkey": hotkeys[0], "delta": 1.0}))["data"]
        assert updated["updateWeight"]["weight"] == {"weight": 2.0}, updated  # not 0 + 1
        assert updated["updateWeight"]["epoch"] == {"start": key}

        started = (await chain.post(COMMIT))["data"]["commitWeights"]
        assert started["__typename"] == "CommitWeightsSuccess", started
        done = await chain.committer.wait()
        assert done is not None and done.status == "finalized", done
        assert done.weights_epoch == key and done.mode == "set"
        await chain.synced()
        async with Bittensor(chain.simnet.url) as bt:
            block = await bt.block(done.block).get()
            assert block is not None and block.hash is not None
            on_chain = await bt.subnet(NETUID).weights.fetch(block_hash=block.hash)
        row = on_chain[0]  # //Bob is uid 0 on subnet 2; hotkeys are uids 0-3, weights 2, 2, 3, 4
        assert row[3] == pytest.approx(1.0) and row[0] == pytest.approx(0.5, abs=1e-3)
        assert row[2] == pytest.approx(0.75, abs=1e-3)
