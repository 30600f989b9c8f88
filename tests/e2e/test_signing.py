"""One signer per key, over HTTP on the simnet: writes signed by the same key at once each get
their own nonce, so none is refused for another's ("Priority is too low").

The simnet makes blocks only when a test says so, after every write is in its pool: the writes
sign with turbobt's mortal era of 4 blocks, which a burst of blocks between reading the head and
submitting would outdate (a test artefact of instant blocks, not the lock's), and all of them in
one block shows that the lock is let go once a transaction is in the pool."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import httpx

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig
from tests.chain.fakes import eventually

from .conftest import PATIENCE, running, settings_for, wait_for_health
from .test_weights_chain import BOB, NETUID, OWNER, SET_HYPERPARAMETER, VALIDATOR, Chain

SET_COMMITMENT = """mutation ($data: String!) { setCommitment(data: $data) {
  __typename
  ... on SetCommitmentSuccess { block { number } commitment { hotkey text } }
  ... on ChainRejected { message reason } } }"""
COMMIT = """mutation { commitWeights { __typename
  ... on CommitWeightsSuccess { commit { id status } } ... on CommitRefused { reason } } }"""
SET_WEIGHTS = """mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }"""


@contextlib.asynccontextmanager
async def manual_chain(data_dir: Path) -> AsyncIterator[Chain]:
    settings = settings_for(
        network="sim",
        netuid=NETUID,
        data_dir=data_dir,
        validator_tokens=VALIDATOR,
        owner_tokens=OWNER,
        auto_commit=False,
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Chain(client, services)


async def in_one_block(chain: Chain, transactions: int, *writes: Coroutine[Any, Any, Any]) -> list:
    """Send `writes` at once; once `transactions` are in the simnet's pool, make the block that
    takes them and the blocks that finalize it; their answers."""
    tasks = [asyncio.create_task(write) for write in writes]
    pool = chain.simnet.world.pool
    await eventually(
        lambda: len(pool) >= transactions or any(task.done() for task in tasks), timeout=PATIENCE
    )
    assert len(pool) == transactions, [t.result() for t in tasks if t.done()]
    await chain.simnet.produce_blocks(1 + chain.simnet.config.finality_lag)
    return await asyncio.gather(*tasks)


async def test_five_concurrent_commitments_all_land(tmp_path: Path) -> None:
    async with manual_chain(tmp_path) as chain:
        texts = [f"commitment {i}" for i in range(5)]
        results = await in_one_block(
            chain, 5, *(chain.post(SET_COMMITMENT, {"data": text}) for text in texts)
        )
        answers = [result["data"]["setCommitment"] for result in results]
        assert [a["__typename"] for a in answers] == ["SetCommitmentSuccess"] * 5, answers
        # In the pool together (the lock held only until then), so in one block; each read
        # back there, where the last of them is the commitment.
        assert len({a["block"]["number"] for a in answers}) == 1, answers
        (last,) = {a["commitment"]["text"] for a in answers}
        assert last in texts and {a["commitment"]["hotkey"] for a in answers} == {BOB}


async def test_a_commitment_set_during_a_weight_commit_leaves_both_landed(tmp_path: Path) -> None:
    async with manual_chain(tmp_path) as chain:
        # No rate limit on weights, and in the clear: signed by the owner's coldkey meanwhile.
        for name, value in (
            ("weights_set_rate_limit", 0),
            ("commit_reveal_weights_enabled", False),
        ):
            (done,) = await in_one_block(
                chain,
                1,
                chain.post(SET_HYPERPARAMETER, {"name": name, "value": value}, OWNER),
            )
            assert done["data"]["setHyperparameter"]["value"] == value, done
        # The committer picks its mode at the server's head: wait until that has the change
        # (the answer comes at finality, the follower announces the block a moment later).
        landed = done["data"]["setHyperparameter"]["block"]["number"]
        async with asyncio.timeout(PATIENCE):
            while (await chain.post("{ head { number } }"))["data"]["head"]["number"] < landed:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        result = await chain.post("{ metagraph { neurons(first: 4) { hotkey } } }")
        hotkeys = [n["hotkey"] for n in result["data"]["metagraph"]["neurons"]]
        written = await chain.post(
            SET_WEIGHTS, {"w": [{"hotkey": h, "weight": 1.0} for h in hotkeys]}
        )
        assert written["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", written

        async def commit_and_wait() -> Any:
            started = (await chain.post(COMMIT))["data"]["commitWeights"]
            assert started["__typename"] == "CommitWeightsSuccess", started
            return await chain.committer.wait()

        commit, *commitments = await in_one_block(
            chain,
            3,
            commit_and_wait(),
            *(chain.post(SET_COMMITMENT, {"data": f"during {i}"}) for i in range(2)),
        )
        assert commit is not None and commit.status == "finalized", commit
        for result in commitments:
            answer = result["data"]["setCommitment"]
            assert answer["__typename"] == "SetCommitmentSuccess", answer
            assert answer["block"]["number"] == commit.block
