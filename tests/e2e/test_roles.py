"""Who may do what, for every root field the schema has: each query, mutation and subscription
against no token, a made-up token and each role, with reads open and closed, over HTTP and
websockets (uvicorn, the simnet). The field list comes from the schema: a new field without a
row in `NEEDS` or a sample for its required arguments fails here until someone decides."""

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
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from pylon_gql.schema import create_schema
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, running, settings_for, wait_for_health

VALIDATOR, OWNER, READER = "validator-token", "owner-token", "reader-token"
#: The callers, by their Authorization header's token (None: no header).
CALLERS = {"anonymous": None, "made-up token": "made-up", "reader": READER}
CALLERS |= {"validator": VALIDATOR, "owner": OWNER}

#: What the README says each private field needs; every other root field is a read: open to
#: anyone, or to any role once PYLON_READER_TOKENS closes reads.
NEEDS = {
    "weights": "validator",
    "weightCommits": "validator",
    "setWeights": "validator",
    "setWeight": "validator",
    "updateWeight": "validator",
    "clearWeights": "validator",
    "deleteWeight": "validator",
    "commitWeights": "validator",
    "setCommitment": "validator",
    "setHyperparameter": "owner",
    "weightCommit": "validator",
}
READS_AT_ALL = {"Query", "Subscription"}

#: Arguments that change nothing when allowed: each write is refused by its own validation (or
#: the server's configuration) after the role check, never signed.
SAMPLES: dict[str, str] = {
    "commitment": '(hotkey: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty")',
    "weightCommits": "(last: 5)",
    "history": "(fromBlock: 6852690, toBlock: 6852690, step: 1)",  # one point: the snapshot
    "setWeights": '(weights: [{hotkey: "not-an-address", weight: 1.0}])',
    "setWeight": '(hotkey: "not-an-address", weight: 1.0)',
    "updateWeight": '(hotkey: "not-an-address", delta: 1.0)',
    "deleteWeight": '(hotkey: "not-an-address")',
    "setCommitment": '(data: "zz", encoding: HEX)',
    "setHyperparameter": '(name: "no_such_parameter", value: 1)',
}


def _document(operation: str, name: str, field: GraphQLField) -> str:
    required = [
        a
        for a, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    ]
    if required and name not in SAMPLES:
        raise AssertionError(f"{name} needs a sample for {required} in SAMPLES")
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{operation} {{ {name}{SAMPLES.get(name, '')}{selection} }}"


def root_fields() -> dict[str, list[tuple[str, str]]]:
    """Per root type, each field and a document that selects it (from the schema itself)."""
    schema = create_schema(settings_for())._schema
    roots: dict[str, GraphQLObjectType | None] = {
        "Query": schema.query_type,
        "Mutation": schema.mutation_type,
        "Subscription": schema.subscription_type,
    }
    found: dict[str, list[tuple[str, str]]] = {}
    for kind, root in roots.items():
        assert root is not None
        operation = kind.lower()
        found[kind] = [(n, _document(operation, n, f)) for n, f in root.fields.items()]
    return found


FIELDS = root_fields()


def allowed(kind: str, field: str, caller: str, reads_closed: bool) -> bool:
    """The README's rules, written out once."""
    role = caller if caller in ("reader", "validator", "owner") else None
    if reads_closed and role is None and kind in READS_AT_ALL:
        return False
    needed = NEEDS.get(field)
    if needed is None:
        return kind in READS_AT_ALL
    return role == needed


def test_every_private_field_exists_and_every_write_is_private() -> None:
    names = {name for fields in FIELDS.values() for name, _ in fields}
    assert set(NEEDS) <= names  # a renamed field leaves no stale row
    assert {name for name, _ in FIELDS["Mutation"]} <= set(NEEDS)  # no write is open
    assert set(SAMPLES) <= names


@pytest.fixture(scope="module", params=[False, True], ids=["reads open", "reads closed"])
async def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, bool]]:
    reads_closed: bool = request.param
    settings = settings_for(
        network="sim",
        netuid=2,
        data_dir=tmp_path_factory.mktemp("roles"),
        validator_tokens=VALIDATOR,
        owner_tokens=OWNER,
        reader_tokens=READER if reads_closed else None,
        auto_commit=False,
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield url, reads_closed


def forbidden(answer: dict[str, Any]) -> bool:
    codes = [e.get("extensions", {}).get("code") for e in answer.get("errors") or ()]
    return "FORBIDDEN" in codes


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_queries_and_mutations_over_http(server: tuple[str, bool], caller: str) -> None:
    url, reads_closed = server
    token = CALLERS[caller]
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    wrong = []
    async with httpx.AsyncClient(base_url=url, timeout=PATIENCE, headers=headers) as client:
        for kind in ("Query", "Mutation"):
            for field, document in FIELDS[kind]:
                response = await client.post("/graphql", json={"query": document})
                answer = response.json()
                expected = allowed(kind, field, caller, reads_closed)
                if forbidden(answer) == expected:
                    wrong.append((field, "allowed" if expected else "refused", answer))
                elif not expected:
                    assert answer["data"] is None, answer  # nothing of the field leaks
                    assert response.headers.get("x-pylon-cache") not in ("hit", "shared")
                if field in NEEDS:  # private answers never go through the response cache
                    assert "x-pylon-cache" not in response.headers, (field, response.headers)
    assert wrong == []


async def _subscribe_all(
    url: str, token: str | None, head: int
) -> tuple[dict[str, str], set[str]] | int:
    """Each subscription on one graphql-transport-ws connection: (field -> "refused" or
    "allowed", the fields that sent an event); or the close code of a refused connection."""
    payload = {} if token is None else {"authorization": f"Bearer {token}"}
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            ack = json.loads(await ws.recv())
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
        assert ack["type"] == "connection_ack", ack
        ids = {}
        for number, (field, document) in enumerate(FIELDS["Subscription"]):
            if field == "newBlock":  # from the head: the block it missed comes at once
                document = f"subscription {{ newBlock(fromBlock: {head}) {{ number }} }}"
            ids[str(number)] = field
            subscribe = {"id": str(number), "type": "subscribe", "payload": {"query": document}}
            await ws.send(json.dumps(subscribe))
        refused: dict[str, str] = {}
        answered: set[str] = set()
        # Refusals come at once; the other subscriptions wait for events, so a second and a
        # half of silence means allowed (and newBlock shows it with an event).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.5):
                while True:
                    message = json.loads(await ws.recv())
                    field = ids.get(message.get("id", ""))
                    if field is None:
                        continue
                    # A refusal is an `error` message, or a `next` carrying the error.
                    if "FORBIDDEN" in json.dumps(message):
                        refused[field] = "refused"
                    elif message["type"] == "error" or message.get("payload", {}).get("errors"):
                        refused[field] = f"failed: {message}"
                    elif message["type"] == "next":
                        answered.add(field)
        return {field: refused.get(field, "allowed") for field in ids.values()}, answered


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_subscriptions_over_websockets(server: tuple[str, bool], caller: str) -> None:
    url, reads_closed = server
    token = CALLERS[caller]
    async with httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client:
        answer = await client.post(
            "/graphql",
            json={"query": "{ head { number } }"},
            headers={"authorization": f"Bearer {VALIDATOR}"},
        )
    outcome = await _subscribe_all(url, token, answer.json()["data"]["head"]["number"])
    known_token = token in (VALIDATOR, OWNER) or (token == READER and reads_closed)
    if (token is not None or reads_closed) and not known_token:
        # An unknown token closes the connection; so does none while reads are closed.
        assert outcome == 4403
        return
    assert not isinstance(outcome, int), outcome
    outcomes, answered = outcome
    expected = {
        field: "allowed" if allowed("Subscription", field, caller, reads_closed) else "refused"
        for field, _ in FIELDS["Subscription"]
    }
    assert outcomes == expected
    assert ("newBlock" in answered) == (expected["newBlock"] == "allowed")


async def test_a_token_in_the_url_grants_nothing(server: tuple[str, bool]) -> None:
    url, reads_closed = server
    query = "{ weights { epoch { start } } weightCommits { digest } }"
    async with httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client:
        for params in (
            {"query": query, "token": VALIDATOR},
            {"query": query, "authorization": f"Bearer {VALIDATOR}"},
            {"query": query, "access_token": VALIDATOR},
        ):
            answer = (await client.get("/graphql", params=params)).json()
            assert forbidden(answer) and answer["data"] is None, answer
        posted = await client.post("/graphql", params={"token": VALIDATOR}, json={"query": query})
        assert forbidden(posted.json())
    ws_url = url.replace("http", "ws", 1) + f"/graphql?token={VALIDATOR}"
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        if reads_closed:  # no token at all: refused at connection_init
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
            return
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"query": "subscription { weightCommit { id } }"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        message = json.loads(await ws.recv())
        # Refused when subscribing (an `error` message), or by the subscription itself (a
        # `next` with no data) when reads are open.
        assert message["type"] in ("error", "next") and "FORBIDDEN" in json.dumps(message)
        assert message["type"] == "error" or message["payload"]["data"] is None


async def test_public_weights_open_them_to_any_reader(tmp_path: Path) -> None:
    settings = settings_for(
        network="sim",
        netuid=2,
        data_dir=tmp_path,
        validator_tokens=VALIDATOR,
        reader_tokens=READER,
        public_weights=True,
    )
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    query = {"query": "{ weights { epoch { start } } weightCommits(last: 5) { id } }"}
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        read = await client.post(
            "/graphql", json=query, headers={"authorization": f"Bearer {READER}"}
        )
        assert "errors" not in read.json(), read.json()
        assert read.json()["data"]["weightCommits"] == []
        assert "x-pylon-cache" not in read.headers
        # Reads closed still close them: public means to whoever may read.
        anonymous = (await client.post("/graphql", json=query)).json()
        assert forbidden(anonymous) and anonymous["data"] is None
