"""Writing weights over HTTP (uvicorn, the simnet): permissions, validation, atomic deltas,
the read gate, and a restart that keeps every weight and the commit log; the writes on a
SQLite file and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, running, settings_for, wait_for_health

VALIDATOR = "validator-token"
OWNER = "owner-token"
READER = "reader-token"
NETUID = 2  # 256 neurons: quick to decode at every block

WEIGHTS = """query { weights { epoch { start } weights { hotkey weight } } }"""
SET_WEIGHTS = """
mutation ($weights: [WeightInput!]!) {
  setWeights(weights: $weights) {
    __typename
    ... on SetWeightsSuccess { count epoch { start } }
    ... on ValidationError { message entries { index hotkey reason } }
  }
}"""
UPDATE_WEIGHT = """
mutation ($hotkey: String!, $delta: Float!) {
  updateWeight(hotkey: $hotkey, delta: $delta) {
    __typename
    ... on WeightSuccess { weight { hotkey weight } }
    ... on ValidationError { message }
  }
}"""
SET_WEIGHT = """
mutation ($hotkey: String!, $weight: Float!) {
  setWeight(hotkey: $hotkey, weight: $weight) {
    __typename
    ... on WeightSuccess { weight { hotkey weight } epoch { start } }
    ... on ValidationError { message entries { hotkey reason } }
  }
}"""
COMMITS = """query {
  weightCommits(last: 50) {
    id status mode epoch { start index } block { number hash } uidCount digest error
  }
}"""


class Server:
    def __init__(self, url: str, client: httpx.AsyncClient, services: Services) -> None:
        self.url = url
        self.client = client
        self.services = services

    async def post(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = VALIDATOR
    ) -> dict[str, Any]:
        headers = {} if token is None else {"authorization": f"Bearer {token}"}
        response = await self.client.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def hotkeys(self, count: int) -> list[str]:
        result = await self.post(f"{{ metagraph {{ neurons(first: {count}) {{ hotkey }} }} }}")
        return [n["hotkey"] for n in result["data"]["metagraph"]["neurons"]]

    async def weights(self) -> dict[str, float]:
        result = await self.post(WEIGHTS)
        return {w["hotkey"]: w["weight"] for w in result["data"]["weights"]["weights"]}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("weights-data")


def server_settings(data_dir: Path, **values: Any):
    base: dict[str, Any] = {
        "network": "sim",
        "netuid": NETUID,
        "data_dir": data_dir,
        "validator_tokens": VALIDATOR,
        "owner_tokens": OWNER,
        "max_weights_batch": 8,
        "auto_commit": False,
        # 1000 deltas to one row take turns on its lock: on a loaded CI machine the last ones
        # wait longer than the default 20 s. What is tested is the count, not the wait.
        "request_timeout": 120,
    }
    return settings_for(**{**base, **values})


@contextlib.asynccontextmanager
async def serve(data_dir: Path, **values: Any) -> AsyncIterator[Server]:
    """A server on `data_dir` (a new simnet each time; the database is the dir's)."""
    settings = server_settings(data_dir, **values)
    services = Services(
        settings, simnet_config=SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    )
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Server(url, client, services)


@pytest.fixture(scope="module")
async def server(data_dir: Path, module_database_url: str) -> AsyncIterator[Server]:
    settings = server_settings(data_dir, database_url=module_database_url)
    services = Services(
        settings, simnet_config=SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    )
    limits = httpx.Limits(max_connections=100)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE, limits=limits) as client,
    ):
        await wait_for_health(client)
        yield Server(url, client, services)


def error_code(result: dict[str, Any]) -> str:
    (error,) = result["errors"]
    return error["extensions"]["code"]


async def test_concurrent_deltas_give_exactly_their_count(server: Server) -> None:
    # 500 at once on SQLite, 1000 on PostgreSQL (READ COMMITTED, a pool of connections).
    postgres = server.services.settings.resolved_database_url().startswith("postgres")
    rounds = 20 if postgres else 10
    (hotkey,) = await server.hotkeys(1)
    variables = {"hotkey": hotkey, "delta": 1.0}
    headers = {"authorization": f"Bearer {VALIDATOR}"}

    async def fifty() -> list[dict[str, Any]]:
        # Ten clients of 50 connections each: 500 requests in flight at once (one client's
        # connection pool is quadratic in its waiting requests).
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, timeout=PATIENCE, limits=limits) as c:
            responses = await asyncio.gather(
                *(
                    c.post(
                        "/graphql",
                        json={"query": UPDATE_WEIGHT, "variables": variables},
                        headers=headers,
                    )
                    for _ in range(50)
                )
            )
        return [response.json() for response in responses]

    results = [
        r for batch in await asyncio.gather(*(fifty() for _ in range(rounds))) for r in batch
    ]
    count = rounds * 50
    assert len(results) == count
    assert all(r["data"]["updateWeight"]["__typename"] == "WeightSuccess" for r in results)
    seen = sorted(r["data"]["updateWeight"]["weight"]["weight"] for r in results)
    assert seen == [float(n) for n in range(1, count + 1)]  # each saw its own increment
    assert (await server.weights())[hotkey] == float(count)


async def test_a_batch_with_one_invalid_entry_writes_nothing_and_names_it(server: Server) -> None:
    hotkeys = await server.hotkeys(4)
    before = await server.weights()
    bad = hotkeys[2][:-1] + ("A" if hotkeys[2][-1] != "A" else "B")  # checksum broken
    batch = [{"hotkey": h, "weight": 1.5} for h in hotkeys]
    cases = [
        ({**batch[2], "hotkey": bad}, 2, "SS58"),
        ({**batch[3], "weight": -1.0}, 3, "finite number >= 0"),
        ({**batch[3], "hotkey": hotkeys[0]}, 3, "same hotkey as entry 0"),
    ]
    for entry, index, reason in cases:
        wrong = [*batch]
        wrong[index] = entry
        result = (await server.post(SET_WEIGHTS, {"weights": wrong}))["data"]["setWeights"]
        assert result["__typename"] == "ValidationError", result
        (named,) = result["entries"]
        assert named["index"] == index and named["hotkey"] == entry["hotkey"]
        assert reason in named["reason"] and f"entry {index}" in result["message"]
    assert await server.weights() == before

    unregistered = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # //Alice: no neuron
    result = await server.post(
        SET_WEIGHTS, {"weights": [*batch[:3], {"hotkey": unregistered, "weight": 1.0}]}
    )
    refused = result["data"]["setWeights"]
    assert refused["__typename"] == "ValidationError" and unregistered in refused["message"]
    assert refused["entries"] == [
        {"index": 3, "hotkey": unregistered, "reason": "not registered in the subnet"}
    ]
    too_many = [{"hotkey": hotkeys[0], "weight": 1.0}] * 9
    result = (await server.post(SET_WEIGHTS, {"weights": too_many}))["data"]["setWeights"]
    assert "PYLON_MAX_WEIGHTS_BATCH=8" in result["message"]
    assert await server.weights() == before

    result = (await server.post(SET_WEIGHTS, {"weights": batch}))["data"]["setWeights"]
    assert result["__typename"] == "SetWeightsSuccess" and result["count"] == 4
    assert {h: w for h, w in (await server.weights()).items() if h in hotkeys} == {
        h: 1.5 for h in hotkeys
    }


async def test_single_writes_validate_too(server: Server) -> None:
    (hotkey,) = await server.hotkeys(1)
    result = await server.post(SET_WEIGHT, {"hotkey": "not-an-address", "weight": 1.0})
    assert result["data"]["setWeight"]["__typename"] == "ValidationError"
    result = await server.post(SET_WEIGHT, {"hotkey": hotkey, "weight": 1e400})  # inf in JSON
    assert error_code(result) == "BAD_USER_INPUT"  # GraphQL's Float has no inf
    result = await server.post(UPDATE_WEIGHT, {"hotkey": hotkey, "delta": -1e9})
    assert result["data"]["updateWeight"]["__typename"] == "ValidationError"
    assert "negative" in result["data"]["updateWeight"]["message"]


@pytest.mark.parametrize(
    ("token", "role"),
    [(None, "validator"), ("wrong-token", "validator"), (OWNER, "validator"), (READER, "x")],
)
async def test_mutations_need_the_role(server: Server, token: str | None, role: str) -> None:
    (hotkey,) = await server.hotkeys(1)
    before = await server.weights()
    commits_before = (await server.post(COMMITS))["data"]["weightCommits"]
    for document, variables in [
        (SET_WEIGHT, {"hotkey": hotkey, "weight": 99.0}),
        (UPDATE_WEIGHT, {"hotkey": hotkey, "delta": 99.0}),
        (SET_WEIGHTS, {"weights": [{"hotkey": hotkey, "weight": 99.0}]}),
        ("mutation { commitWeights { __typename } }", None),
        ('mutation { setCommitment(data: "x") { __typename } }', None),
    ]:
        result = await server.post(document, variables, token=token)
        assert result["data"] is None
        assert error_code(result) == "FORBIDDEN"
        assert "PYLON_VALIDATOR_TOKENS" in result["errors"][0]["message"]
        assert token is None or token not in str(result)  # never echoed
    result = await server.post(
        'mutation { setHyperparameter(name: "tempo", value: 10) { __typename } }', token=VALIDATOR
    )
    assert error_code(result) == "FORBIDDEN" and "PYLON_OWNER_TOKENS" in str(result)
    assert await server.weights() == before
    assert (await server.post(COMMITS))["data"]["weightCommits"] == commits_before


async def test_health_shows_the_committer(server: Server) -> None:
    body = (await server.client.get("/health")).json()
    committer = body["committer"]
    assert committer["state"] == "disabled" and committer["autoCommit"] is False
    assert committer["hotkey"] == "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # //Bob


async def test_reads_close_when_a_reader_token_is_set(tmp_path: Path) -> None:
    async with serve(tmp_path, reader_tokens=READER) as server:
        for token in (None, "wrong-token"):
            result = await server.post("{ head { number } }", token=token)
            assert result["data"] is None and error_code(result) == "FORBIDDEN"
            assert "PYLON_READER_TOKENS" in result["errors"][0]["message"]
        for token in (READER, VALIDATOR, OWNER):
            result = await server.post("{ head { number } }", token=token)
            assert "errors" not in result and result["data"]["head"]["number"] > 0
        # The weights stay the validator's (tests/e2e/test_roles.py has every field and role).
        result = await server.post("{ weights { weights { hotkey } } }", token=READER)
        assert result["data"] is None and error_code(result) == "FORBIDDEN"
        (hotkey,) = await server.hotkeys(1)
        for token in (READER, None):  # a mutation says which role it needs
            result = await server.post(SET_WEIGHT, {"hotkey": hotkey, "weight": 1.0}, token=token)
            assert error_code(result) == "FORBIDDEN"
            assert "PYLON_VALIDATOR_TOKENS" in result["errors"][0]["message"]
        url = server.url.replace("http", "ws") + "/graphql"
        for init, allowed in (({}, False), ({"authorization": f"Bearer {READER}"}, True)):
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                await ws.send(json.dumps({"type": "connection_init", "payload": init}))
                if not allowed:  # no token: refused at connection_init, holding no slot
                    with pytest.raises(websockets.ConnectionClosed):
                        await ws.recv()
                    assert ws.close_code == 4403
                    continue
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                subscribe = {"query": "subscription { newBlock { number } }"}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
                await server.services.simnet.produce_blocks(3)  # type: ignore[union-attr]
                message = json.loads(await ws.recv())
                assert message["type"] == "next", message


async def test_a_server_without_the_keys_says_which_setting_is_missing(tmp_path: Path) -> None:
    async with serve(
        tmp_path,
        wallet_name="nobody",
        wallet_path=tmp_path / "wallets",
        owner_wallet_name="nobody",
        owner_wallet_path=tmp_path / "wallets",
    ) as server:
        (hotkey,) = await server.hotkeys(1)
        result = await server.post(SET_WEIGHT, {"hotkey": hotkey, "weight": 1.0})
        assert error_code(result) == "NOT_CONFIGURED"
        assert "PYLON_WALLET_NAME" in result["errors"][0]["message"]
        result = await server.post(
            'mutation { setHyperparameter(name: "tempo", value: 10) { __typename } }', token=OWNER
        )
        assert error_code(result) == "NOT_CONFIGURED"
        assert "PYLON_OWNER_WALLET_NAME" in result["errors"][0]["message"]


async def test_the_owner_check_is_against_the_chain(tmp_path: Path) -> None:
    # //Bob's wallet as the owner's: its coldkey (//Charlie) does not own the subnet.
    async with serve(
        tmp_path, owner_wallet_name="sim-validator", owner_wallet_path=tmp_path / "wallets"
    ) as server:
        result = await server.post(
            'mutation { setHyperparameter(name: "tempo", value: 10) { __typename } }', token=OWNER
        )
        assert error_code(result) == "NOT_CONFIGURED"
        message = result["errors"][0]["message"]
        assert "does not own subnet 2" in message and "5GrwvaEF5z" in message  # //Alice owns it


async def test_a_restart_keeps_every_weight_and_the_commit_log(
    tmp_path: Path, database_url: str
) -> None:
    async with serve(tmp_path, database_url=database_url) as server:
        hotkeys = await server.hotkeys(3)
        result = await server.post(
            SET_WEIGHTS, {"weights": [{"hotkey": h, "weight": 2.5} for h in hotkeys]}
        )
        assert result["data"]["setWeights"]["__typename"] == "SetWeightsSuccess"
        await server.post(UPDATE_WEIGHT, {"hotkey": hotkeys[0], "delta": 0.5})
        result = await server.post(
            "mutation { commitWeights { ... on CommitWeightsSuccess { commit { id } } } }"
        )
        assert result["data"]["commitWeights"]["commit"]["id"] > 0, result
        committer = server.services.writes.committer  # type: ignore[union-attr]
        done = await committer.wait()
        assert done is not None
        weights = await server.weights()
        commits = (await server.post(COMMITS))["data"]["weightCommits"]
        assert len(commits) == 1 and commits[0]["uidCount"] == 256
    async with serve(tmp_path, database_url=database_url) as server:
        assert (
            await server.weights() == weights == {hotkeys[0]: 3.0, hotkeys[1]: 2.5, hotkeys[2]: 2.5}
        )
        assert (await server.post(COMMITS))["data"]["weightCommits"] == commits


async def test_unregistered_hotkeys_are_accepted_when_the_setting_says_so(tmp_path: Path) -> None:
    alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # no neuron on subnet 2
    async with serve(tmp_path, allow_unregistered_hotkeys=True) as server:
        result = await server.post(SET_WEIGHT, {"hotkey": alice, "weight": 4.0})
        assert result["data"]["setWeight"]["__typename"] == "WeightSuccess", result
        assert (await server.weights()) == {alice: 4.0}
