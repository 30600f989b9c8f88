"""A subscription sent over HTTP (POST, GET, or asking for a stream) is refused with a
BAD_REQUEST error that points to the websocket, and logs no traceback."""

from __future__ import annotations

import logging

import pytest

from .conftest import Served

SUBSCRIPTION = "subscription { newBlock { number } }"


@pytest.mark.parametrize(
    ("method", "accept"),
    [
        ("POST", "application/json"),
        ("GET", "application/json"),
        ("POST", "text/event-stream"),
        ("POST", 'multipart/mixed; subscriptionSpec="1.0", application/json'),
    ],
)
async def test_a_subscription_over_http_is_refused_with_a_pointer_to_the_websocket(
    served: Served, caplog: pytest.LogCaptureFixture, method: str, accept: str
) -> None:
    caplog.set_level(logging.INFO)
    headers = {"accept": accept}
    if method == "GET":
        response = await served.client.get(
            "/graphql", params={"query": SUBSCRIPTION}, headers=headers
        )
    else:
        response = await served.client.post(
            "/graphql", json={"query": SUBSCRIPTION}, headers=headers
        )
    assert response.status_code in (200, 400), response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    assert "websocket" in error["message"]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_query_over_http_still_runs(served: Served) -> None:
    answer = await served.query("{ head { number } }")
    assert answer["data"]["head"]["number"] > 0
