"""The validator's write semantics over HTTP (uvicorn, the simnet over a websocket, httpx):
setWeights replaces the epoch's vector unless told to merge, clearWeights and deleteWeight
(on a SQLite file and on PostgreSQL), every answer's block, and the weights of an epoch read
from the server's database without the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pylon_gql.auth import Role
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from ..chain.fakes import eventually
from .conftest import PATIENCE, running, settings_for, wait_for_health
from .test_weights import OWNER, VALIDATOR, Server, error_code, serve

SET_WEIGHTS = """
mutation ($weights: [WeightInput!]!, $mode: SetWeightsMode) {
  setWeights(weights: $weights, mode: $mode) {
    __typename
    ... on SetWeightsSuccess { block { number hash } epoch { start index } mode count }
    ... on ValidationError { message }
  }
}"""
CLEAR = "mutation { clearWeights { block { number hash } epoch { start } count } }"
DELETE = """
mutation ($hotkey: String!) {
  deleteWeight(hotkey: $hotkey) {
    __typename
    ... on DeleteWeightSuccess { block { number } epoch { start } hotkey deleted { weight } }
    ... on ValidationError { message entries { hotkey reason } }
  }
}"""
WEIGHTS_AT = """
query ($block: Int, $epoch: Int) {
  weights(block: $block, epoch: $epoch) {
    block { number hash } epoch { start index tempo } weights { hotkey weight }
  }
}"""


async def served_at(services: Services, number: int) -> None:
    def arrived() -> bool:
        head = services.reader.head
        return head is not None and head.number >= number

    await eventually(arrived, timeout=PATIENCE)


async def weights(server: Server, **at: int) -> dict[str, Any]:
    result = await server.post(WEIGHTS_AT, at)
    assert "errors" not in result, result
    return result["data"]["weights"]


def vector(answer: dict[str, Any]) -> dict[str, float]:
    return {w["hotkey"]: w["weight"] for w in answer["weights"]}


async def set_weights(server: Server, weights: dict[str, float], mode: str | None = None):
    variables: dict[str, Any] = {
        "weights": [{"hotkey": h, "weight": w} for h, w in weights.items()]
    }
    if mode is not None:
        variables["mode"] = mode
    result = await server.post(SET_WEIGHTS, variables)
    answer = result["data"]["setWeights"]
    assert answer["__typename"] == "SetWeightsSuccess", result
    return answer


async def test_set_weights_replaces_by_default_merges_when_asked_and_says_its_block(
    tmp_path: Path, database_url: str
) -> None:
    async with serve(tmp_path, database_url=database_url) as server:
        h = await server.hotkeys(4)
        first = await set_weights(server, {h[0]: 1.0, h[1]: 2.0})
        assert first["mode"] == "REPLACE" and first["count"] == 2
        # the answer's block is a block reference: the chain's block of that number
        block = first["block"]
        chain = await server.post(
            "query ($n: Int) { block(number: $n) { hash } }", {"n": block["number"]}
        )
        assert chain["data"]["block"]["hash"] == block["hash"]

        second = await set_weights(server, {h[2]: 3.0})  # as bittensor's set_weights: the vector
        assert vector(await weights(server)) == {h[2]: 3.0}
        merged = await set_weights(server, {h[0]: 5.0}, mode="MERGE")
        assert merged["mode"] == "MERGE"
        # read at the write's block, and with no block, right after: the write is there
        at_write = await weights(server, block=merged["block"]["number"])
        assert at_write["block"] == merged["block"]
        assert vector(at_write) == vector(await weights(server)) == {h[0]: 5.0, h[2]: 3.0}
        assert second["epoch"] == merged["epoch"]


async def test_clear_and_delete_and_what_the_committer_does_then(
    tmp_path: Path, database_url: str
) -> None:
    async with serve(tmp_path, database_url=database_url) as server:
        h = await server.hotkeys(3)
        await set_weights(server, {h[0]: 1.0, h[1]: 2.0, h[2]: 3.0})

        deleted = (await server.post(DELETE, {"hotkey": h[1]}))["data"]["deleteWeight"]
        assert deleted["deleted"] == {"weight": 2.0} and deleted["hotkey"] == h[1]
        again = (await server.post(DELETE, {"hotkey": h[1]}))["data"]["deleteWeight"]
        assert again["__typename"] == "DeleteWeightSuccess" and again["deleted"] is None
        bad = (await server.post(DELETE, {"hotkey": "5Fake"}))["data"]["deleteWeight"]
        assert bad["__typename"] == "ValidationError" and bad["entries"][0]["hotkey"] == "5Fake"
        assert vector(await weights(server)) == {h[0]: 1.0, h[2]: 3.0}

        cleared = (await server.post(CLEAR))["data"]["clearWeights"]
        assert cleared["count"] == 2
        assert (await weights(server))["weights"] == []
        # an empty vector: nothing to commit (not an older epoch's weights)
        refused = await server.post(
            "mutation { commitWeights { __typename ... on CommitRefused { reason message } } }"
        )
        assert refused["data"]["commitWeights"]["reason"] == "no_weights", refused
        assert "cleared" in refused["data"]["commitWeights"]["message"]

        # guarded as setWeights: no token, a token the server does not know, another role
        for token, words in (
            (None, "this needs a token"),
            ("not-a-token", "unknown token"),
            (OWNER, "the token sent has the role `owner`"),
        ):
            for document, variables in ((CLEAR, None), (DELETE, {"hotkey": h[0]})):
                result = await server.post(document, variables, token=token)
                assert result["data"] is None and error_code(result) == "FORBIDDEN", result
                message = result["errors"][0]["message"]
                assert words in message and "PYLON_VALIDATOR_TOKENS" in message, message
        assert vector(await weights(server)) == {}


async def test_a_token_sent_with_a_doubled_bearer_prefix_is_the_token(tmp_path: Path) -> None:
    async with serve(tmp_path) as server:
        (hotkey,) = await server.hotkeys(1)
        result = await server.post(
            SET_WEIGHTS,
            {"weights": [{"hotkey": hotkey, "weight": 1.0}]},
            token=f"Bearer {VALIDATOR}",
        )
        assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", result


async def test_an_epochs_weights_come_from_the_database_once_the_node_pruned_its_blocks(
    tmp_path: Path,
) -> None:
    # A node keeping 8 blocks of state, a server caching 2: an epoch's blocks are soon pruned.
    settings = settings_for(
        network="sim",
        netuid=2,
        data_dir=tmp_path,
        validator_tokens=VALIDATOR,
        owner_tokens=OWNER,
        auto_commit=False,
        cache_blocks=2,
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True, history=8)
    services = Services(settings, simnet_config=config)

    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        server = Server(url, client, services)
        simnet = services.simnet
        assert simnet is not None
        await simnet.produce_blocks(4)  # past the snapshot, whose state the simnet keeps
        await served_at(services, simnet.finalized_number)
        h = await server.hotkeys(2)
        written = await set_weights(server, {h[0]: 1.5, h[1]: 2.5})
        await simnet.produce_blocks(20)
        await served_at(services, simnet.finalized_number)
        old = written["block"]["number"]
        pruned = await server.post("query ($b: Int) { epoch(block: $b) { start } }", {"b": old})
        assert error_code(pruned) == "BLOCK_PRUNED", pruned  # the chain has no state there

        by_block = await weights(server, block=old)  # was BLOCK_PRUNED: the weights are local
        assert vector(by_block) == {h[0]: 1.5, h[1]: 2.5}
        assert by_block["epoch"]["start"] == written["epoch"]["start"]

        start = written["epoch"]["start"]
        await simnet.stop()  # no chain at all: the epoch's weights are the database's
        by_epoch = await weights(server, epoch=start)
        assert vector(by_epoch) == {h[0]: 1.5, h[1]: 2.5}
        assert by_epoch["epoch"]["start"] == start
        assert by_epoch["epoch"]["index"] == written["epoch"]["index"]
        assert by_epoch["block"] == written["block"]  # the epoch's latest write


async def test_weights_by_epoch_take_its_first_block_and_say_so_otherwise(tmp_path: Path) -> None:
    async with serve(tmp_path) as server:
        (hotkey,) = await server.hotkeys(1)
        written = await set_weights(server, {hotkey: 1.0})
        start = written["epoch"]["start"]
        assert vector(await weights(server, epoch=start)) == {hotkey: 1.0}
        inside = written["block"]["number"]  # a block of the epoch, not its first
        assert inside != start
        result = await server.post(WEIGHTS_AT, {"epoch": inside})
        assert error_code(result) == "BAD_USER_INPUT", result
        message = result["errors"][0]["message"]
        assert f"in the epoch starting at block {start}" in message, message
        both = await server.post(WEIGHTS_AT, {"epoch": start, "block": start})
        assert error_code(both) == "BAD_USER_INPUT"


async def test_dev_tokens_survive_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    # No tokens configured on the simulated chain: the server makes dev tokens, kept in the
    # data dir, so a validator's configuration keeps working after a restart.
    settings = settings_for(network="sim", netuid=2, data_dir=tmp_path, auto_commit=False)

    async def token_that_writes() -> str:
        config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
        services = Services(settings, simnet_config=config)
        async with (
            running(settings, services) as url,
            httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
        ):
            await wait_for_health(client)
            token = services.dev_tokens[Role.VALIDATOR]
            server = Server(url, client, services)
            (hotkey,) = await server.hotkeys(1)
            result = await server.post(
                SET_WEIGHTS, {"weights": [{"hotkey": hotkey, "weight": 1.0}]}, token=token
            )
            assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess", result
            return token

    assert await token_that_writes() == await token_that_writes()


async def test_the_simnets_dev_validator_commits_at_once(tmp_path: Path) -> None:
    # Subnet 1, the default: //Bob takes his uid at the first block after the snapshot, his
    # last update a weights rate limit (100 blocks) back, so nothing holds the first commit.
    settings = settings_for(
        network="sim", data_dir=tmp_path, validator_tokens=VALIDATOR, auto_commit=False
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    services = Services(settings, simnet_config=config)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        simnet = services.simnet
        assert simnet is not None and services.writes is not None
        await simnet.produce_blocks(3)
        await served_at(services, simnet.finalized_number)
        server = Server(url, client, services)
        limit = await server.post("{ hyperparameters { weightsRateLimit } }")
        assert limit["data"]["hyperparameters"]["weightsRateLimit"] == 100
        await set_weights(server, dict.fromkeys(await server.hotkeys(8), 1.0))
        started = await server.post(
            """mutation { commitWeights { __typename
                ... on CommitRefused { reason message } } }"""
        )
        assert started["data"]["commitWeights"]["__typename"] == "CommitWeightsSuccess", started
        done = await services.writes.committer.wait()
        assert done is not None and done.status == "finalized", done
