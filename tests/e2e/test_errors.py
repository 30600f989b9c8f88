"""Bad input over HTTP: each a typed error with a code, never a stack trace."""

from __future__ import annotations

import pytest

from .conftest import Served


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ metagraph(block: -5) { netuid } }", "BAD_USER_INPUT"),
        ("{ metagraph(block: 999999999) { netuid } }", "BLOCK_IN_FUTURE"),
        # the simulated chain begins at the snapshot: it knows no older block
        ("{ metagraph(block: 6852000) { netuid } }", "NOT_FOUND"),
        ('{ block(hash: "0xnothex") { number } }', "BAD_USER_INPUT"),
        ('{ block(hash: "6852690") { number } }', "BAD_USER_INPUT"),
        ("{ neuron(uid: 1024) { uid } }", "BAD_USER_INPUT"),
        ("{ neuron(uid: 70000) { uid } }", "BAD_USER_INPUT"),
        ('{ commitment(hotkey: "5FakeKey") { data } }', "BAD_USER_INPUT"),
        ("{ metagraph { neurons(first: 100000) { uid } } }", "BAD_USER_INPUT"),
        ("{ metagraph { neuronz } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ head { ", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_bad_input_is_a_typed_error(served: Served, document: str, code: str) -> None:
    response = await served.client.post("/graphql", json={"query": document})
    assert response.status_code == 200
    answer = response.json()
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


async def test_a_future_block_says_where_the_head_is(served: Served) -> None:
    head = (await served.query("{ head { number } }"))["data"]["head"]["number"]
    answer = await served.query(
        "query($b: Int) { metagraph(block: $b) { netuid } }", {"b": head + 1000}
    )
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BLOCK_IN_FUTURE"
    assert error["extensions"]["head"] >= head
    assert f"block {head + 1000} is in the future" in error["message"]


async def test_a_query_over_the_depth_limit(served: Served) -> None:
    limit = served.services.settings.max_query_depth
    # The schema itself nests only a few levels: a deeper document is refused for its depth
    # before its fields are looked at.
    levels = limit + 1
    document = "{ head " + "{ epoch " * levels + "{ start }" + " }" * levels + " }"
    answer = await served.query(document)
    assert answer.get("data") is None
    messages = {e["message"]: e["extensions"]["code"] for e in answer["errors"]}
    depth_error = f"'anonymous' exceeds maximum operation depth of {limit}"
    assert messages[depth_error] == "GRAPHQL_VALIDATION_FAILED"
    assert set(messages.values()) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_a_query_over_the_alias_limit(served: Served) -> None:
    limit = served.services.settings.max_aliases
    fields = " ".join(f"a{i}: head {{ number }}" for i in range(limit + 1))
    answer = await served.query("{ " + fields + " }")
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == f"{limit + 1} aliases found. Allowed: {limit}"
    within = " ".join(f"a{i}: head {{ number }}" for i in range(limit))
    assert "errors" not in await served.query("{ " + within + " }")
