"""Request ids: on every answer, the plain-text 500 of an unexpected failure included."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from pylon_gql.http.middleware import RequestIdMiddleware


async def fails(request: Request) -> PlainTextResponse:
    raise RuntimeError("a bug")


async def answers(request: Request) -> PlainTextResponse:
    return PlainTextResponse("fine")


def client() -> TestClient:
    app = Starlette(routes=[Route("/fails", fails, methods=["POST"]), Route("/answers", answers)])
    app.add_middleware(RequestIdMiddleware)
    return TestClient(app, raise_server_exceptions=False)


def test_an_answer_echoes_the_clients_request_id() -> None:
    response = client().get("/answers", headers={"x-request-id": "abc-1"})
    assert response.headers["x-request-id"] == "abc-1"


def test_an_unexpected_failure_answers_500_with_the_request_id_it_is_logged_under(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="pylon_gql.http.middleware"):
        response = client().post("/fails", content=b"{")

    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert request_id in response.text
    assert "a bug" not in response.text  # the traceback stays in the log
    [record] = caplog.records
    assert request_id in record.getMessage() and record.exc_info is not None
