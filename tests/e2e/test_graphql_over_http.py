"""Requests as the GraphQL-over-HTTP spec (and graphql-transport-ws) has them: an operation to
run named when there are several, null payloads, coercion errors as bad input, bounded echoes
of the input, and a request id on every answer."""

from __future__ import annotations

import json

import websockets

from .conftest import Served

TWO_OPERATIONS = "mutation Commit { commitWeights { __typename } } query Head { head { number } }"


async def test_several_operations_without_an_operation_name_run_none(served: Served) -> None:
    token = served.services.dev_tokens
    headers = {"authorization": f"Bearer {next(iter(token.values()))}"} if token else {}
    commits = "{ weightCommits { status } }"
    before = await served.client.post("/graphql", json={"query": commits}, headers=headers)

    response = await served.client.post("/graphql", json={"query": TWO_OPERATIONS}, headers=headers)

    answer = response.json()
    assert "data" not in answer or answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "operationName" in error["message"]
    after = await served.client.post("/graphql", json={"query": commits}, headers=headers)
    assert after.json() == before.json()  # the mutation did not run


async def test_the_operation_named_runs(served: Served) -> None:
    response = await served.client.post(
        "/graphql", json={"query": TWO_OPERATIONS, "operationName": "Head"}
    )
    answer = response.json()
    assert answer["data"]["head"]["number"] > 0, answer


async def test_a_variable_that_does_not_coerce_is_bad_user_input(served: Served) -> None:
    response = await served.client.post(
        "/graphql",
        json={
            "query": "query ($b: Int) { metagraph(block: $b) { netuid } }",
            "variables": {"b": "x"},
        },
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_error_messages_echo_long_input_only_truncated(served: Served) -> None:
    long = "5" * 5_000  # under every size limit: the echo is what would make an answer long
    for document, variables in [
        ("{ block(hash: " + f'"{long}"' + ") { number } }", None),
        ("{ neuron(hotkey: " + f'"{long}"' + ") { uid } }", None),
        ("{ %s }" % ("a" * 5_000), None),
        ("query ($h: String) { commitment(hotkey: $h) { data } }", {"h": long}),
        ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": long}),
        ("query ($b: Int) { metagraph(block: $b) { netuid } }", {"b": [long] * 3}),
        ("query ($h: String!) { neuron(hotkey: $h) { uid } }", {"h": {"x": long}}),
        ("query ($w: NeuronFilter) { metagraph { neurons(where: $w) { uid } } }", {"w": {long: 1}}),
    ]:
        response = await served.client.post(
            "/graphql", json={"query": document, "variables": variables}
        )
        assert response.json()["errors"], document[:40]
        assert len(response.content) < 2_000, response.content[:300]


async def test_every_answer_carries_a_request_id(served: Served) -> None:
    answers = [
        await served.client.post("/graphql", json={"query": "{ head { number } }"}),
        await served.client.post("/graphql", json={"query": "{ head { "}),
        await served.client.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        ),
        await served.client.post(
            "/graphql", content=b"\xff\xfe", headers={"content-type": "application/json"}
        ),
        await served.client.get("/nowhere"),
        await served.client.get("/health"),
    ]
    for response in answers:
        assert response.headers.get("x-request-id"), (response.status_code, response.text[:200])


async def test_connection_init_with_a_null_payload_is_accepted(served: Served) -> None:
    url = served.url.replace("http", "ws") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": None}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
