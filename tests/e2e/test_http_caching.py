"""Kept answers over HTTP as a client and a cache in front see them: the fast lane answers a
request seen before without keying it again; gzip made once; ETag and 304; Cache-Control that
says how long an answer holds; hits counted in the request metrics and the rate limits."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from pylon_gql.response_cache.cache import ResponseCache
from pylon_gql.response_cache.delivery import PINNED_MAX_AGE
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, Served, running, settings_for, wait_for_health
from .test_response_cache import VALIDATOR_TOKEN, counted, outcome, produce

TOKEN = VALIDATOR_TOKEN  # produce() asks with it
BLOCK_TIME = 12.0
FULL = """query Full { metagraph { block { number } neurons { uid hotkey coldkey stake rank
    trust incentive dividends emission lastUpdate axon { ip port } } } }"""
PINNED = "query Pinned($b: Int) { metagraph(block: $b) { block { number } neurons { uid stake } } }"
SMALL = "query Small { head { number } }"
IDENTITY = {"accept-encoding": "identity"}


@pytest.fixture(scope="module")
async def kept() -> AsyncIterator[Served]:
    settings = settings_for(network="sim", validator_tokens=TOKEN, sim_block_time=BLOCK_TIME)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Served(url, client, services)


@pytest.fixture
def keyings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """The raw requests the long way keyed (read as JSON, planned): the fast lane keys none."""
    seen: list[bytes] = []
    original = ResponseCache._template

    async def spy(self: ResponseCache, request: Any, roles: str) -> Any:
        seen.append(await request.body())
        return await original(self, request, roles)

    monkeypatch.setattr(ResponseCache, "_template", spy)
    yield seen


async def ask(
    served: Served,
    document: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"query": document, "variables": variables}
    return await served.client.post("/graphql", json=body, headers=headers)


async def test_a_request_seen_before_is_answered_without_keying_it_again(
    kept: Served, keyings: list[bytes]
) -> None:
    await produce(kept, 1)
    keyings.clear()  # produce() asked the head
    first, second, third = [await ask(kept, FULL, headers=IDENTITY) for _ in range(3)]
    assert [outcome(r) for r in (first, second, third)] == ["miss", "hit", "hit"]
    assert second.content == third.content == first.content
    assert len(first.json()["data"]["metagraph"]["neurons"]) == 1024
    assert len(keyings) == 1  # the first request only: the others took the fast lane
    # Every answer carries its request id, the fast lane's too.
    assert len({r.headers["x-request-id"] for r in (first, second, third)}) == 3
    # Another caller (a token's roles) is another key: not the anonymous bytes' lane.
    with_token = await ask(kept, FULL, headers={"authorization": f"Bearer {TOKEN}"})
    assert outcome(with_token) == "miss" and len(keyings) == 2


async def test_a_hit_keeps_a_clients_tame_request_id_and_replaces_another(kept: Served) -> None:
    await produce(kept, 1)
    document = SMALL.replace("Small", "Identified")
    for request_id, echoed in (("dash-1.2:a_b", True), ("no spaces please", False)):
        answers = [await ask(kept, document, headers={"x-request-id": request_id})]
        answers += [await ask(kept, document, headers={"x-request-id": request_id})]
        assert outcome(answers[-1]) == "hit"
        ids = [a.headers["x-request-id"] for a in answers]
        if echoed:
            assert ids == [request_id, request_id]
        else:
            assert request_id not in ids and ids[0] != ids[1]


async def test_a_hit_with_an_origin_goes_the_long_way_and_gets_its_cors_headers(
    kept: Served, keyings: list[bytes]
) -> None:
    await produce(kept, 1)
    keyings.clear()
    origin = {"origin": "https://elsewhere.example"}
    answers = [await ask(kept, SMALL, headers=origin) for _ in range(3)]
    assert [outcome(a) for a in answers][1:] == ["hit", "hit"]
    assert len(keyings) == 3  # each keyed by the app (the fast lane leaves CORS to it)
    assert all("origin" in a.headers.get("vary", "").lower() for a in answers)


async def test_gzip_is_served_to_clients_that_accept_it_and_made_once(kept: Served) -> None:
    await produce(kept, 1)
    # The first asker (the long way, a miss) and the next (the fast lane) get the same bytes.
    document = FULL.replace("Full", "Gzipped")  # asked nowhere else: not pre-rendered
    sent = [await _wire(kept, document, {"accept-encoding": "gzip, br;q=0.9"}) for _ in range(2)]
    assert [outcome for _, outcome, _ in sent] == ["miss", "hit"]
    (headers, _, wire), (_, _, again) = sent
    assert wire == again
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(wire)
    assert "Accept-Encoding" in headers["vary"]
    plain = await ask(kept, document, headers=IDENTITY)
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(wire) == plain.content
    assert len(wire) < len(plain.content) / 4
    # A small answer is not worth compressing; `gzip;q=0` refuses gzip.
    small = await ask(kept, SMALL, headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers
    _, _, refused = await _wire(kept, document, {"accept-encoding": "gzip;q=0, identity"})
    assert refused == plain.content


async def _wire(
    served: Served, document: str, headers: dict[str, str]
) -> tuple[httpx.Headers, str | None, bytes]:
    """The answer's headers, cache outcome and bytes as sent (not decoded)."""
    async with httpx.AsyncClient(base_url=served.url, timeout=PATIENCE) as client:
        request = client.build_request(
            "POST", "/graphql", json={"query": document}, headers=headers
        )
        response = await client.send(request, stream=True)
        try:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
    assert response.status_code == 200
    return response.headers, outcome(response), body


async def test_a_get_with_the_answers_etag_is_answered_304(kept: Served) -> None:
    block = await produce(kept, 1)
    params = {"query": PINNED, "variables": f'{{"b": {block}}}'}
    first = await kept.client.get("/graphql", params=params, headers=IDENTITY)
    assert (
        first.status_code == 200 and first.json()["data"]["metagraph"]["block"]["number"] == block
    )
    etag = first.headers["etag"]
    for lane in ("long way", "fast lane"):
        again = await kept.client.get(
            "/graphql", params=params, headers={**IDENTITY, "if-none-match": etag}
        )
        assert again.status_code == 304, lane
        assert again.content == b""
        assert again.headers["etag"] == etag
    # A weak form of the tag, or a list holding it, matches too; another tag does not.
    weak = await kept.client.get(
        "/graphql", params=params, headers={**IDENTITY, "if-none-match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    other = await kept.client.get(
        "/graphql", params=params, headers={**IDENTITY, "if-none-match": '"not-this-one"'}
    )
    assert other.status_code == 200 and other.content == first.content
    # A POST is never answered 304 (its answer is not a cached representation).
    posted = await ask(kept, PINNED, {"b": block}, headers={**IDENTITY, "if-none-match": etag})
    assert posted.status_code == 200 and posted.content == first.content


async def test_cache_control_says_how_long_an_answer_holds(kept: Served) -> None:
    block = await produce(kept, 1)
    pinned = await kept.client.get(
        "/graphql", params={"query": PINNED, "variables": f'{{"b": {block}}}'}
    )
    assert pinned.headers["cache-control"] == f"public, max-age={PINNED_MAX_AGE}, immutable"
    at_head = await ask(kept, SMALL)
    control = at_head.headers["cache-control"]
    assert control.startswith("public, max-age=")
    assert 0 <= int(control.rsplit("=", 1)[1]) <= BLOCK_TIME
    mine = await ask(kept, PINNED, {"b": block}, headers={"authorization": f"Bearer {TOKEN}"})
    assert mine.headers["cache-control"].startswith("private, ")
    # A mutation or anything not kept says nothing about caching.
    not_kept = await ask(
        kept, "{ weights { hotkey } }", headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert "etag" not in not_kept.headers


async def test_hits_are_counted_in_the_request_metrics(kept: Served) -> None:
    await produce(kept, 1)
    labels = {"operation": "Small", "outcome": "ok", "cache": "hit"}
    await ask(kept, SMALL)
    before = counted("pylon_graphql_requests_total", labels)
    latency_before = counted(
        "pylon_graphql_request_seconds_count", {"operation": "Small", "cache": "hit"}
    )
    hits_before = counted("pylon_response_cache_requests_total", {"outcome": "hit"})
    for _ in range(5):
        assert outcome(await ask(kept, SMALL)) == "hit"
    assert counted("pylon_graphql_requests_total", labels) - before == 5
    assert (
        counted("pylon_graphql_request_seconds_count", {"operation": "Small", "cache": "hit"})
        - latency_before
        == 5
    )
    assert counted("pylon_response_cache_requests_total", {"outcome": "hit"}) - hits_before == 5


async def test_fast_lane_hits_count_against_the_rate_limits_once() -> None:
    settings = settings_for(network="sim", rate_limits=True, rate_limit_anonymous="6/minute")
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        answers = [await client.post("/graphql", json={"query": SMALL}) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert [outcome(a) for a in answers[:3]] == ["miss", "hit", "hit"]
    assert answers[6].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert answers[6].headers["retry-after"]


async def test_a_chunked_body_the_fast_lane_read_reaches_the_view_whole(kept: Served) -> None:
    body = b'{"query": "{ head { number } }"}'

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 5):
            yield body[i : i + 5]

    answers = [
        await kept.client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["data"]["head"]["number"] >= 1
    assert outcome(answers[1]) == "hit"


async def test_an_oversized_body_is_still_refused(tmp_path: Any) -> None:
    settings = settings_for(network="sim", max_body_bytes=2048)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        big = {"query": "{ head { number } }", "variables": {"pad": "x" * 4096}}
        refused = await client.post("/graphql", json=big)
        assert refused.status_code == 413


async def test_large_answers_that_are_not_kept_are_compressed_on_the_fly() -> None:
    settings = settings_for(network="sim", response_cache_bytes=0)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        served = Served(url, client, services)
        plain = await ask(served, FULL, headers=IDENTITY)
        headers, _, wire = await _wire(served, FULL, {"accept-encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert "x-pylon-cache" not in plain.headers  # nothing kept: no response cache at all
    assert gzip.decompress(wire) == plain.content
    assert len(wire) < len(plain.content) / 4
