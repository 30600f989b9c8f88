"""The write path against the simnet's chain, over HTTP: the owner sets hyperparameters, the
validator sets its commitment, and the committer puts the weights on chain once per N epochs
inside the window, retrying a failure; turbobt reads the chain state back."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from turbobt import Bittensor

from pylon_gql.chain.client import ChainClient
from pylon_gql.chain.errors import ExtrinsicFailed
from pylon_gql.committer import Committer
from pylon_gql.keys import load_signers
from pylon_gql.models import BlockRef, CommitAttempt
from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig
from tests.chain.fakes import eventually

from .conftest import PATIENCE, running, settings_for, wait_for_health

VALIDATOR = "validator-token"
OWNER = "owner-token"
NETUID = 2
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # the validator's hotkey, uid 0
TEMPO = 9

SET_HYPERPARAMETER = """
mutation ($name: String!, $value: JSON!) {
  setHyperparameter(name: $name, value: $value) {
    __typename
    ... on SetHyperparameterSuccess { block { number } call value hyperparameters { tempo } }
    ... on ValidationError { message }
    ... on ChainRejected { message reason }
  }
}"""
COMMITS = """query { weightCommits(last: 100) {
  id block { number hash } epoch { start } status mode uidCount revealRound error } }"""


class Chain:
    def __init__(self, client: httpx.AsyncClient, services: Services) -> None:
        self.client = client
        self.services = services

    @property
    def simnet(self) -> Simnet:
        assert self.services.simnet is not None
        return self.services.simnet

    @property
    def committer(self) -> Committer:
        assert self.services.writes is not None
        return self.services.writes.committer

    async def post(
        self, document: str, variables: dict[str, Any] | None = None, token: str = VALIDATOR
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def synced(self) -> None:
        """Until the server announced the simnet's finalized head, the committer decided at it,
        and no attempt is in flight."""
        follower = self.services.follower
        assert follower is not None

        committer = self.committer

        def caught_up() -> bool:
            head = follower.head
            return (
                head is not None
                and head.number == self.simnet.finalized_number
                and (not committer.auto or committer.seen == head)
                and not committer.committing
            )

        await eventually(caught_up, timeout=PATIENCE)

    async def advance(self, blocks: int) -> None:
        for _ in range(blocks):
            await self.simnet.produce_blocks(1)
            await self.synced()

    async def commits(self) -> list[dict[str, Any]]:
        """Oldest first, `block` as its number (`blockHash` its hash), `epoch` as its start."""
        commits = list(reversed((await self.post(COMMITS))["data"]["weightCommits"]))
        for commit in commits:
            commit["blockHash"] = commit["block"]["hash"]
            commit["block"], commit["epoch"] = commit["block"]["number"], commit["epoch"]["start"]
        return commits

    async def set_hyperparameter(self, name: str, value: Any) -> dict[str, Any]:
        result = await self.post(SET_HYPERPARAMETER, {"name": name, "value": value}, OWNER)
        return result["data"]["setHyperparameter"]


@contextlib.asynccontextmanager
async def chain_server(data_dir: Path, **values: Any) -> AsyncIterator[Chain]:
    settings = settings_for(
        **{
            "network": "sim",
            "netuid": NETUID,
            "data_dir": data_dir,
            "validator_tokens": VALIDATOR,
            "owner_tokens": OWNER,
            "commit_window_start_offset": 2,
            "commit_window_end_buffer": 2,
            "commit_retry_min_backoff": 0.01,
            "commit_retry_max_backoff": 0.02,
            **values,
        }
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    services = Services(settings, simnet_config=config)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        chain = Chain(client, services)
        # Epochs of 10 blocks, and no rate limit on weights, for a test that fits in seconds.
        tempo = await chain.set_hyperparameter("tempo", TEMPO)
        assert tempo["__typename"] == "SetHyperparameterSuccess", tempo
        limit = await chain.set_hyperparameter("weights_set_rate_limit", 0)
        assert limit["value"] == 0, limit
        await chain.synced()
        yield chain


async def set_weights(chain: Chain) -> None:
    result = await chain.post("{ metagraph { neurons(first: 4) { hotkey } } }")
    hotkeys = [n["hotkey"] for n in result["data"]["metagraph"]["neurons"]]
    result = await chain.post(
        """mutation ($w: [WeightInput!]!) { setWeights(weights: $w) { __typename } }""",
        {"w": [{"hotkey": h, "weight": float(i + 1)} for i, h in enumerate(hotkeys)]},
    )
    assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", result


async def test_the_owner_sets_the_tempo_and_the_epochs_follow(tmp_path: Path) -> None:
    async with chain_server(tmp_path, auto_commit=False) as chain:
        result = await chain.post(
            "{ hyperparameters { tempo weightsRateLimit } epoch { tempo start end } }"
        )
        data = result["data"]
        assert data["hyperparameters"] == {"tempo": TEMPO, "weightsRateLimit": 0}
        epoch = data["epoch"]
        assert epoch["tempo"] == TEMPO and epoch["end"] - epoch["start"] == TEMPO
        assert (epoch["start"] + NETUID + 1) % (TEMPO + 1) == TEMPO  # subtensor's formula

        refused = await chain.set_hyperparameter("tempo", "fast")
        assert refused["__typename"] == "ValidationError" and "integer" in refused["message"]
        refused = await chain.set_hyperparameter("tempo", 70000)
        assert refused["__typename"] == "ValidationError" and "65535" in refused["message"]
        refused = await chain.set_hyperparameter("no_such_thing", 1)
        assert refused["__typename"] == "ValidationError"
        refused = await chain.set_hyperparameter("default_take", 1)  # root only
        assert "not a subnet hyperparameter" in refused["message"]

        both = await chain.set_hyperparameter(
            "alpha_values", {"alpha_low": 45000, "alpha_high": 60000}
        )
        assert both["__typename"] == "SetHyperparameterSuccess", both
        assert both["value"] == {"alpha_low": 45000, "alpha_high": 60000}


async def test_the_validator_sets_its_commitment(tmp_path: Path) -> None:
    async with chain_server(tmp_path, auto_commit=False) as chain:
        result = await chain.post(
            """mutation { setCommitment(data: "68656c6c6f", encoding: HEX) {
                __typename ... on SetCommitmentSuccess { commitment { hotkey text } } } }"""
        )
        done = result["data"]["setCommitment"]
        assert done == {
            "__typename": "SetCommitmentSuccess",
            "commitment": {"hotkey": BOB, "text": "hello"},
        }
        too_long = await chain.post(
            'mutation { setCommitment(data: "%s") { __typename } }' % ("x" * 129)
        )
        assert too_long["data"]["setCommitment"]["__typename"] == "ValidationError"


async def test_the_committer_commits_once_per_n_epochs_in_the_window_and_retries(
    tmp_path: Path,
) -> None:
    async with chain_server(tmp_path, commit_every_epochs=2) as chain:
        # From an epoch's first block (no weights yet: nothing to commit), so that the first
        # attempt is at the window's first block and its retry inside the same window.
        async with asyncio.timeout(PATIENCE):
            while True:
                now = (await chain.post("{ head { number epoch { start } } }"))["data"]["head"]
                if now["number"] == now["epoch"]["start"]:
                    break
                await chain.advance(1)
        assert await chain.commits() == []
        await set_weights(chain)
        # The first window: the node refuses every submission, then comes back.
        chain.simnet.set_faults(error_rate=1.0, error_methods=("author_submitAndWatchExtrinsic",))
        async with asyncio.timeout(PATIENCE):
            while not await chain.commits():
                await chain.advance(1)
        await chain.committer.wait()
        (first,) = await chain.commits()
        assert first["status"] == "FAILED" and first["block"] == now["number"] + 2  # offset 2
        chain.simnet.set_faults()
        await chain.advance(6 * (TEMPO + 1))  # six epochs

        commits = await chain.commits()
        failed = [c for c in commits if c["status"] == "FAILED"]
        landed = [c for c in commits if c["status"] == "FINALIZED"]
        assert failed and all("busy" in (c["error"] or "").lower() for c in failed)
        assert failed[0]["epoch"] == landed[0]["epoch"]  # retried in the same window
        epochs = [c["epoch"] for c in landed]
        assert len(epochs) >= 3
        assert all(b - a == 2 * (TEMPO + 1) for a, b in itertools.pairwise(epochs))
        assert {c["mode"] for c in landed} == {"COMMIT_REVEAL"}  # on by default
        assert all(c["revealRound"] > 0 and c["uidCount"] == 256 for c in landed)
        async with Bittensor(chain.simnet.url) as bt:
            for commit in landed:  # in the block it landed in, the chain holds the commit
                block = await bt.block(commit["block"]).get()
                assert block is not None and block.hash == commit["blockHash"]
                pending = await bt.subnet(NETUID).weights.fetch_pending(block_hash=block.hash)
                mine = [
                    c for by_hotkey in pending.values() for h, c in by_hotkey.items() if h == BOB
                ]
                assert mine, (commit, pending)

        # Commit-reveal off: the next commit sets the weights in the clear.
        off = await chain.set_hyperparameter("commit_reveal_weights_enabled", False)
        assert off["value"] is False, off
        before = len(landed)
        await chain.advance(2 * (TEMPO + 1))
        landed = [c for c in await chain.commits() if c["status"] == "FINALIZED"]
        assert len(landed) == before + 1 and landed[-1]["mode"] == "SET"
        async with Bittensor(chain.simnet.url) as bt:
            head = await bt.block(chain.simnet.finalized_number).get()
            assert head is not None and head.hash is not None
            weights = await bt.subnet(NETUID).weights.fetch(block_hash=head.hash)
        row = weights[0]  # //Bob is uid 0 on subnet 2
        assert row[3] == pytest.approx(1.0) and row[0] == pytest.approx(0.25, abs=1e-3)


async def test_with_auto_commit_off_only_commit_weights_commits(tmp_path: Path) -> None:
    async with chain_server(tmp_path, auto_commit=False) as chain:
        await set_weights(chain)
        await chain.advance(2 * (TEMPO + 1))  # two whole windows
        assert await chain.commits() == []

        url = str(chain.client.base_url).rstrip("/").replace("http", "ws") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"authorization": f"Bearer {VALIDATOR}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            subscribe = {"query": "subscription { weightCommit { id status mode } }"}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            hub = chain.services.hub  # subscribed before the attempt starts
            await eventually(lambda: hub.subscribers(CommitAttempt) > 0, timeout=PATIENCE)
            result = await chain.post(
                """mutation { commitWeights { __typename
                    ... on CommitWeightsSuccess { commit { id status } } } }"""
            )
            started = result["data"]["commitWeights"]
            assert started["__typename"] == "CommitWeightsSuccess", started
            assert started["commit"]["status"] == "PENDING"
            statuses = []
            async with asyncio.timeout(PATIENCE):
                while not statuses or statuses[-1] not in ("FINALIZED", "FAILED"):
                    message = json.loads(await ws.recv())
                    assert message["type"] == "next", message
                    event = message["payload"]["data"]["weightCommit"]
                    assert event["id"] == started["commit"]["id"]
                    statuses.append(event["status"])
        assert statuses == ["PENDING", "IN_BLOCK", "FINALIZED"]
        await chain.synced()
        (commit,) = await chain.commits()
        assert commit["status"] == "FINALIZED" and commit["mode"] == "COMMIT_REVEAL"


async def test_the_chain_client_reports_what_the_chain_refused(tmp_path: Path) -> None:
    signers = load_signers(settings_for(network="sim", data_dir=tmp_path))
    assert signers.validator is not None and signers.owner is not None
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    async with Simnet(config) as simnet, ChainClient(simnet.url) as client:
        with pytest.raises(ExtrinsicFailed) as refused:  # //Charlie does not own subnet 2
            await client.sudo_set(
                "sudo_set_tempo", {"netuid": NETUID, "tempo": 5}, signers.validator.wallet
            )
        assert refused.value.reason == "BadOrigin"
        receipt = await client.sudo_set(
            "sudo_set_tempo", {"netuid": NETUID, "tempo": 5}, signers.owner.wallet
        )
        assert receipt.block.number > 6852690
        with pytest.raises(ExtrinsicFailed) as refused:
            await client.set_weights(NETUID, {0: 1.0}, signers.validator.wallet, version_key=10**9)
        assert refused.value.reason == "CommitRevealEnabled"
        await client.sudo_set(
            "sudo_set_commit_reveal_weights_enabled",
            {"netuid": NETUID, "enabled": False},
            signers.owner.wallet,
        )

        included: list[int] = []

        async def in_block(ref: BlockRef) -> None:
            included.append(ref.number)

        wallet = signers.validator.wallet
        params = await client.hyperparameters(NETUID, await client.finalized_head())
        version = params.weights_version
        landed = await client.set_weights(
            NETUID, {0: 1.0, 1: 0.5}, wallet, version_key=version, on_in_block=in_block
        )
        assert included == [landed.block.number]  # in a block, then that block finalized
        with pytest.raises(ExtrinsicFailed) as refused:  # weights_rate_limit is 100 blocks
            await client.set_weights(NETUID, {0: 1.0}, wallet, version_key=version)
        assert refused.value.reason == "SettingWeightsTooFast"
