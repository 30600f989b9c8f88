"""Request limits at the HTTP edge: bodies too large, malformed bodies, requests too slow; each
answered with a GraphQL error and a request id, never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from pylon_gql.models import BlockRef, Metagraph
from tests.schema.fakes import FakeReader, make_settings

from .test_app import FakeChain, client_for

QUERY = b'{"query": "{ head { number } }"}'


async def post(client: httpx.AsyncClient, body: bytes | AsyncIterator[bytes]) -> httpx.Response:
    return await client.post("/graphql", content=body, headers={"content-type": "application/json"})


def code_of(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return error["extensions"]["code"]


@pytest.fixture
def chain() -> FakeChain:
    chain = FakeChain()
    chain.reader.head_number = 1010
    return chain


async def test_a_body_over_the_limit_is_refused_with_413(chain: FakeChain) -> None:
    async with client_for(make_settings(max_body_bytes=4096), chain) as client:
        declared = await post(client, b'{"query": "' + b"#" * 5000 + b'"}')
        assert declared.status_code == 413
        assert code_of(declared) == "REQUEST_TOO_LARGE"
        assert "PYLON_MAX_BODY_BYTES" in declared.json()["errors"][0]["message"]
        assert declared.headers["x-request-id"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(10):
                yield b" " * 1000

        streamed = await post(client, chunks())
        assert streamed.status_code == 413
        assert code_of(streamed) == "REQUEST_TOO_LARGE"

        assert (await post(client, QUERY)).json()["data"] == {"head": {"number": 1010}}


async def test_non_finite_numbers_reach_graphql_and_are_refused_there(chain: FakeChain) -> None:
    # Python's json.dumps writes NaN and Infinity; orjson alone would call the body malformed.
    document = "query($w: Int) { metagraph { neurons(first: $w) { uid } } }"
    for value in (b"NaN", b"Infinity", b"1e400"):
        body = b'{"query": "' + document.encode() + b'", "variables": {"w": ' + value + b"}}"
        async with client_for(make_settings(), chain) as client:
            answer = await post(client, body)
        assert answer.status_code == 200, value
        assert code_of(answer) == "BAD_USER_INPUT", value


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"42",
        b'"a string"',
        b"true",
        b"\xff\xfe not utf-8",
        b'{"query": "{ head { number } }", "variables": {"s": "\xc3\x28"}}',  # bad UTF-8
        b'{"query": "{ head { number } }", "variables": {"v": ' + b"[" * 100_000,
        b'{"query": "{ head { number } }", "variables": '
        + b'{"v": ' * 2000
        + b"1"
        + b"}" * 2001,  # nested too deep
        b"{not json",
        b"[]",  # a batch: not served
        b"[1, 2]",
        b'{"query": 5}',
        b'{"query": "{ head { number } }", "variables": {"s": "\\ud800"}}',  # lone surrogate
        b'{"query": "{ head { number } }", "variables": [1]}',
    ],
)
async def test_a_malformed_body_is_a_400_graphql_error(chain: FakeChain, body: bytes) -> None:
    async with client_for(make_settings(), chain) as client:
        answer = await post(client, body)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert code_of(answer) == "BAD_REQUEST"
    assert answer.headers["x-request-id"]


class SlowReader(FakeReader):
    async def metagraph(self, ref: BlockRef, netuid: int | None = None) -> Metagraph:
        await asyncio.sleep(5)
        return await super().metagraph(ref, netuid)


async def test_a_request_running_past_the_timeout_answers_timeout(chain: FakeChain) -> None:
    chain.reader = SlowReader(head_number=1010)
    async with client_for(make_settings(request_timeout=0.2), chain) as client:
        slow = await post(client, b'{"query": "{ metagraph { neuronCount } }"}')
        fast = await post(client, QUERY)
    assert slow.status_code == 504
    assert code_of(slow) == "TIMEOUT"
    assert fast.json()["data"] == {"head": {"number": 1010}}
