"""Requests as the GraphQL-over-HTTP spec (and graphql-transport-ws) has them: an operation to
run named when there are several, null payloads, coercion errors as bad input, bounded echoes
of the input, and a request id on every answer.

Each case over the app served by uvicorn, with real clients: httpx, and websockets for both
websocket protocols."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from pylon_gql.auth import Role

from .conftest import Served

TWO_OPERATIONS = "mutation Commit { commitWeights { __typename } } query Head { head { number } }"
COMMITS = "{ weightCommits { id status } }"
#: Long input with spaces in it: no single run of characters is long, the value is.
SPACED = "a " * 5_000
#: The longest error message any of these answers may carry (the input is 10,000 characters).
MESSAGE_BOUND = 600


def validator(served: Served) -> str:
    return served.services.dev_tokens[Role.VALIDATOR]


async def commits(served: Served) -> list[dict[str, Any]]:
    headers = {"authorization": f"Bearer {validator(served)}"}
    response = await served.client.post("/graphql", json={"query": COMMITS}, headers=headers)
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]["weightCommits"]


@asynccontextmanager
async def websocket(
    served: Served, protocol: str, init: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A connection of `protocol`, its `connection_init` sent and acknowledged."""
    url = served.url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps(init or {"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def first_answer(ws: ClientConnection, protocol: str, payload: dict[str, Any]) -> Any:
    """Start one operation; the first message about it (keep-alives skipped)."""
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await ws.send(json.dumps({"id": "1", "type": kind, "payload": payload}))
    while True:
        message = json.loads(await ws.recv())
        if message["type"] != "ka":
            return message


def errors_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of a websocket `error` (a list in graphql-transport-ws, one in graphql-ws), or
    of a result (`next`; graphql-ws: `data`)."""
    assert message["type"] in ("error", "next", "data"), message
    payload = message["payload"]
    if message["type"] != "error":
        return payload["errors"]
    return payload if isinstance(payload, list) else [payload]


PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


# --- several operations need operationName


async def test_several_operations_without_an_operation_name_run_none(served: Served) -> None:
    headers = {"authorization": f"Bearer {validator(served)}"}
    before = await commits(served)

    response = await served.client.post("/graphql", json={"query": TWO_OPERATIONS}, headers=headers)

    answer = response.json()
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "operationName" in error["message"] and "(Commit, Head)" in error["message"]
    assert await commits(served) == before  # the mutation did not run


async def test_the_operation_named_runs(served: Served) -> None:
    response = await served.client.post(
        "/graphql", json={"query": TWO_OPERATIONS, "operationName": "Head"}
    )
    answer = response.json()
    assert answer["data"]["head"]["number"] > 0, answer


async def test_several_operations_over_get_run_none(served: Served) -> None:
    two_queries = "query Head { head { number } } query Chain { chain { network } }"
    response = await served.client.get("/graphql", params={"query": two_queries})
    answer = response.json()
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "operationName" in error["message"]

    named = await served.client.get(
        "/graphql", params={"query": two_queries, "operationName": "Chain"}
    )
    assert named.json()["data"] == {"chain": {"network": "sim"}}

    # A GET never runs a mutation, first of several or not.
    before = await commits(served)
    refused = await served.client.get(
        "/graphql",
        params={"query": TWO_OPERATIONS},
        headers={"authorization": f"Bearer {validator(served)}"},
    )
    assert refused.status_code == 400
    assert await commits(served) == before


async def test_several_operations_over_graphql_transport_ws_run_none(served: Served) -> None:
    before = await commits(served)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {validator(served)}"}}
    async with websocket(served, "graphql-transport-ws", init) as ws:
        message = await first_answer(ws, "graphql-transport-ws", {"query": TWO_OPERATIONS})
    [error] = errors_of(message)
    assert message["type"] == "error"
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "operationName" in error["message"]
    assert await commits(served) == before


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_several_subscriptions_without_an_operation_name_run_none(
    served: Served, protocol: str
) -> None:
    document = "subscription A { newBlock { number } } subscription B { newEpoch { index } }"
    async with websocket(served, protocol) as ws:
        message = await first_answer(ws, protocol, {"query": document})
    assert message["type"] == "error"
    [error] = errors_of(message)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "operationName" in error["message"]


async def test_a_document_without_an_operation_is_a_bad_request(served: Served) -> None:
    response = await served.client.post(
        "/graphql", json={"query": "fragment F on Query { head { number } }"}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "no operation" in error["message"]


async def test_an_operation_name_the_document_lacks_over_http(served: Served) -> None:
    response = await served.client.post(
        "/graphql", json={"query": "query Head { head { number } }", "operationName": SPACED}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "no operation named" in error["message"]
    assert len(error["message"]) < MESSAGE_BOUND


async def test_an_operation_name_the_document_lacks_over_graphql_ws(served: Served) -> None:
    payload = {"query": "subscription A { newBlock { number } }", "operationName": SPACED}
    async with websocket(served, "graphql-ws") as ws:
        message = await first_answer(ws, "graphql-ws", payload)
    [error] = errors_of(message)
    assert error["extensions"]["code"] == "BAD_REQUEST"  # was INTERNAL_SERVER_ERROR
    assert "no operation named" in error["message"]
    assert len(error["message"]) < MESSAGE_BOUND


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            {"query": "subscription A { newBlock { number } }", "operationName": SPACED},
            "the document has no operation named",
        ),
        ({"query": "subscription { newBlock { number } } " + "b" * 5_000}, "Syntax Error"),
        ({"query": "{ head { "}, "Syntax Error"),
    ],
)
async def test_graphql_transport_ws_closes_with_a_reason_that_fits_a_close_frame(
    served: Served, payload: dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Strawberry closes with 4400 on these, with the whole message as the reason: too long for
    a close frame, the close failed (no close frame, a traceback in the log); a syntax error
    ended in a bare `complete` and a traceback."""
    with caplog.at_level(logging.ERROR):
        async with websocket(served, "graphql-transport-ws") as ws:
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
    assert closed.value.rcvd is not None, "no close frame"
    assert closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason.startswith(reason)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_a_syntax_error_over_graphql_ws_is_parse_failed(served: Served) -> None:
    async with websocket(served, "graphql-ws") as ws:
        message = await first_answer(ws, "graphql-ws", {"query": "{ head { "})
    [error] = errors_of(message)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


# --- connection_init's payload is optional


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "init",
    [{"type": "connection_init", "payload": None}, {"type": "connection_init"}],
    ids=["null payload", "no payload"],
)
async def test_connection_init_without_a_payload_is_accepted(
    served: Served, protocol: str, init: dict[str, Any]
) -> None:
    async with websocket(served, protocol, init) as ws:
        # Acknowledged (checked by `websocket`), and the connection serves subscriptions.
        head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
        payload = {
            "query": "subscription ($from: Int) { newBlock(fromBlock: $from) { number } }",
            "variables": {"from": head},
        }
        message = await first_answer(ws, protocol, payload)
    assert message["type"] in ("next", "data"), message
    assert message["payload"]["data"]["newBlock"]["number"] == head


# --- error codes as the README's table has them


VARIABLE_REFUSALS = [
    # (document, variables): each a variable whose value does not fit its type
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": "x"}),
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": 2**31}),
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": 1.5}),
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": [1]}),
    ("query ($h: String!) { commitment(hotkey: $h) { data } }", {}),
    ("query ($h: String!) { commitment(hotkey: $h) { data } }", {"h": None}),
    ("query ($h: String!) { commitment(hotkey: $h) { data } }", {"h": {"x": 1}}),
    ("query ($w: NeuronFilter) { metagraph { neurons(where: $w) { uid } } }", {"w": {"x": 1}}),
    ("query ($w: NeuronFilter) { metagraph { neurons(where: $w) { uid } } }", {"w": {"uids": "a"}}),
    ("query ($o: NeuronOrder) { metagraph { neurons(orderBy: $o) { uid } } }", {"o": {"field": 1}}),
]


@pytest.mark.parametrize(("document", "variables"), VARIABLE_REFUSALS)
async def test_a_variable_that_does_not_coerce_is_bad_user_input(
    served: Served, document: str, variables: dict[str, Any]
) -> None:
    response = await served.client.post(
        "/graphql", json={"query": document, "variables": variables}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer.get("data") is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
async def test_a_float_variable_that_is_not_finite_is_bad_user_input(
    served: Served, value: bytes
) -> None:
    # Clients' json.dumps writes these; the README names a `Float` NaN.
    body = (
        b'{"query": "query ($m: Float) { metagraph { neurons(where: {minStake: $m}) { uid } } }",'
        b' "variables": {"m": ' + value + b"}}"
    )
    response = await served.client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_USER_INPUT"]


async def test_a_variable_over_graphql_transport_ws_that_does_not_coerce(served: Served) -> None:
    payload = {
        "query": "subscription ($b: Int!) { newBlock(fromBlock: $b) { number } }",
        "variables": {"b": "x"},
    }
    async with websocket(served, "graphql-transport-ws") as ws:
        message = await first_answer(ws, "graphql-transport-ws", payload)
    [error] = errors_of(message)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        # The document itself does not fit the schema: a literal of the wrong type, a variable
        # of the wrong type for its place, an unknown type.
        ('{ metagraph(block: "x") { netuid } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ neuron(uid: 99999999999) { uid } }", "GRAPHQL_VALIDATION_FAILED"),
        ("query ($b: String) { metagraph(block: $b) { netuid } }", "GRAPHQL_VALIDATION_FAILED"),
        ("query ($b: Nope) { metagraph(block: $b) { netuid } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ head { number } } }", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_documents_that_do_not_fit_the_schema(
    served: Served, document: str, code: str
) -> None:
    response = await served.client.post("/graphql", json={"query": document})
    answer = response.json()
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code], answer


# --- echoed input is cut


ECHOES = [
    # (document, variables, operationName): each echoes SPACED (or a long run) in its error
    ('{ metagraph(block: "' + SPACED + '") { netuid } }', None, None),
    ('{ block(hash: "' + SPACED + '") { number } }', None, None),
    ("query ($h: String) { block(hash: $h) { number } }", {"h": SPACED}, None),
    ("query ($h: String) { block(hash: $h) { number } }", {"h": "\t" * 10_000}, None),
    ("query ($h: String) { neuron(hotkey: $h) { uid } }", {"h": SPACED}, None),
    ("query ($h: String!) { commitment(hotkey: $h) { data } }", {"h": SPACED}, None),
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": SPACED}, None),
    ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": [SPACED] * 3}, None),
    ("query ($h: String!) { neuron(hotkey: $h) { uid } }", {"h": {SPACED: SPACED}}, None),
    (
        "query ($w: NeuronFilter) { metagraph { neurons(where: $w) { uid } } }",
        {"w": {SPACED: 1}},
        None,
    ),
    (
        "query ($w: NeuronFilter) { metagraph { neurons(where: $w) { uid } } }",
        {"w": {"hotkeys": [SPACED]}},
        None,
    ),
    ("{ %s }" % ("a" * 5_000), None, None),
    ("{ head { number } } " + "b" * 5_000, None, None),
    ("query Head { head { number } }", None, SPACED),
]


ECHO_IDS = [
    "Int literal",
    "hash literal",
    "hash variable",
    "tabs as hash",
    "neuron hotkey",
    "commitment hotkey",
    "String for Int",
    "list for Int",
    "object for String",
    "filter's field name",
    "filter's hotkeys",
    "field name",
    "syntax error's token",
    "operationName",
]


@pytest.mark.parametrize(("document", "variables", "operation_name"), ECHOES, ids=ECHO_IDS)
async def test_error_messages_echo_long_input_only_cut(
    served: Served, document: str, variables: dict[str, Any] | None, operation_name: str | None
) -> None:
    response = await served.client.post(
        "/graphql",
        json={"query": document, "variables": variables, "operationName": operation_name},
    )
    errors = response.json()["errors"]
    assert errors, document[:40]
    for error in errors:
        assert len(error["message"]) < MESSAGE_BOUND, error["message"][:300]
        assert "characters)" in error["message"], error["message"][:300]  # says it is cut
    assert len(response.content) < 3 * MESSAGE_BOUND * len(errors), response.content[:300]


async def test_echoes_over_websockets_are_cut_too(served: Served) -> None:
    payload = {
        "query": "subscription ($h: [String!]) { commitmentChanged(hotkeys: $h) { hotkey } }",
        "variables": {"h": [SPACED]},
    }
    for protocol in PROTOCOLS:
        async with websocket(served, protocol) as ws:
            message = await first_answer(ws, protocol, payload)
        [error] = errors_of(message)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert len(error["message"]) < MESSAGE_BOUND, error["message"][:300]


# --- a request id on every answer


async def test_every_answer_carries_a_request_id(served: Served) -> None:
    json_body = {"content-type": "application/json"}
    limit = served.services.settings.max_body_bytes
    answers = [
        await served.client.post("/graphql", json={"query": "{ head { number } }"}),
        await served.client.post("/graphql", json={"query": "{ head { "}),
        await served.client.post("/graphql", content=b"{not json", headers=json_body),
        await served.client.post("/graphql", content=b"\xff\xfe", headers=json_body),
        await served.client.post("/graphql", content=b"[]", headers=json_body),
        await served.client.post(
            "/graphql", content=b"{ head { number } }", headers={"content-type": "text/plain"}
        ),
        await served.client.post("/graphql", content=b"x" * (limit + 1), headers=json_body),
        await served.client.put("/graphql", json={"query": "{ head { number } }"}),
        await served.client.post("/health"),
        await served.client.get("/nowhere"),
        await served.client.get("/health"),
        await served.client.get("/health", headers={"host": "elsewhere.example"}),
        await served.client.options(
            "/graphql",
            headers={
                "origin": "https://elsewhere.example",
                "access-control-request-method": "POST",
            },
        ),
    ]
    statuses = [response.status_code for response in answers]
    assert statuses == [200, 200, 400, 400, 400, 400, 413, 405, 405, 404, 200, 400, 400]
    for response in answers:
        assert response.headers.get("x-request-id"), (response.status_code, response.text[:200])


async def test_a_clients_request_id_is_kept_on_a_refusal(served: Served) -> None:
    response = await served.client.post(
        "/graphql",
        content=b"{not json",
        headers={"content-type": "application/json", "x-request-id": "trace-42"},
    )
    assert response.status_code == 400
    assert response.headers["x-request-id"] == "trace-42"


async def test_a_refused_websocket_upgrade_carries_a_request_id(served: Served) -> None:
    url = served.url.replace("http", "ws", 1) + "/nowhere"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
            pass
    response = refused.value.response
    assert response.status_code == 403
    assert response.headers.get("x-request-id")
    assert b"/graphql" in response.body  # says where the websocket is


async def test_an_accepted_websocket_carries_a_request_id(served: Served) -> None:
    async with websocket(served, "graphql-transport-ws") as ws:
        assert ws.response is not None
        assert ws.response.headers.get("x-request-id")
