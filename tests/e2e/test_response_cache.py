"""The response cache over HTTP: the same bytes as an execution, keyed so the head moving, the
variables and the caller's roles never mix answers; concurrent cold queries read the chain once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pylon_gql.metrics import REGISTRY
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig
from tests.chain.fakes import eventually

from .conftest import PATIENCE, Served, running, settings_for, wait_for_health

VALIDATOR_TOKEN = "validator-token-for-the-cache-tests"

EVERY_NEURON_FIELD = """{ metagraph { block { number hash } neuronCount neurons {
    block { number } uid hotkey coldkey active validatorPermit stake stakeRao rank emission
    emissionRao incentive consensus trust validatorTrust dividends lastUpdate
    blocksSinceLastUpdate pruningScore axon { ip port ipType protocol version block }
    prometheus { ip port ipType version block } } } }"""


@pytest.fixture(scope="module")
async def cached() -> AsyncIterator[Served]:
    """A server of its own: blocks move only when a test produces them, and only 4 blocks of
    chain data are kept, so older blocks are cold for the chain reader."""
    settings = settings_for(network="sim", cache_blocks=4, validator_tokens=VALIDATOR_TOKEN)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True, finality_lag=0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield Served(url, client, services)


async def post(
    served: Served,
    document: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    response = await served.client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


def outcome(response: httpx.Response) -> str | None:
    return response.headers.get("x-pylon-cache")


def counted(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def neurons_lite_calls() -> float:
    return counted("pylon_chain_calls_total", {"call": "neurons_lite", "outcome": "ok"})


def cache_outcomes() -> dict[str, float]:
    return {
        o: counted("pylon_response_cache_requests_total", {"outcome": o})
        for o in ("hit", "miss", "shared", "bypass")
    }


async def produce(served: Served, blocks: int) -> int:
    """Produce blocks; wait until the follower has announced the simnet's finalized head."""
    simnet = served.services.simnet
    assert simnet is not None
    start = simnet.finalized_number
    await simnet.produce_blocks(blocks)
    assert simnet.finalized_number == start + blocks
    async with asyncio.timeout(PATIENCE):
        # the follower announces heads as it gets them: no event to wait on here
        while not _caught_up(served):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    head = served.services.reader.head
    assert head is not None
    # ... and until the response cache answers head queries there (it does once it has
    # pre-rendered the hot ones): asked with a token, so that asking is not counted as hot.
    async with asyncio.timeout(PATIENCE):
        while True:
            answer = await post(served, "{ head { number } }", token=VALIDATOR_TOKEN)
            if answer.json()["data"]["head"]["number"] >= head.number:
                break
            await asyncio.sleep(0.02)
    return head.number


def _caught_up(served: Served) -> bool:
    head, simnet = served.services.reader.head, served.services.simnet
    return head is not None and simnet is not None and head.number >= simnet.finalized_number


async def test_a_cached_answer_is_the_executed_answer_byte_for_byte(cached: Served) -> None:
    await produce(cached, 1)  # a head no other test has asked about
    first = await post(cached, EVERY_NEURON_FIELD)
    second = await post(cached, EVERY_NEURON_FIELD)
    assert (outcome(first), outcome(second)) == ("miss", "hit")
    assert second.content == first.content
    assert len(first.json()["data"]["metagraph"]["neurons"]) == 1024
    # The same document spaced and comma'd differently is the same normalised document.
    respaced = await post(cached, EVERY_NEURON_FIELD.replace(" ", " ,\n  "))
    assert outcome(respaced) == "hit"
    assert respaced.content == first.content


async def test_after_the_head_moves_a_head_query_answers_the_new_block(cached: Served) -> None:
    document = "{ head { number hash } metagraph { block { number hash } neurons { uid stake } } }"
    asked_once = "{ metagraph { block { number } neuronCount } }"
    before = await produce(cached, 1)
    old = await post(cached, document)
    assert outcome(await post(cached, document)) == "hit"
    assert old.json()["data"]["head"]["number"] == before
    assert outcome(await post(cached, asked_once)) == "miss"
    prerendered = counted("pylon_response_cache_prerendered_total", {})

    after = await produce(cached, 1)
    assert after == before + 1
    # The response cache hears of the new head on the event bus, renders the hot query there,
    # and only then answers head queries at it.
    await eventually(
        lambda: counted("pylon_response_cache_prerendered_total", {}) - prerendered == 1,
        timeout=PATIENCE,
    )
    # Asked twice at the last head: rendered at the new one before it was served.
    new = await post(cached, document)
    assert outcome(new) == "hit"
    answer = new.json()["data"]
    assert answer["head"]["number"] == answer["metagraph"]["block"]["number"] == after
    assert answer["head"]["hash"] == cached.services.reader.head.hash  # type: ignore[union-attr]
    # ... the same bytes as an execution (another role: another key, the same answer)
    executed = await post(cached, document, token=VALIDATOR_TOKEN)
    assert outcome(executed) == "miss"
    assert executed.content == new.content
    # Asked once: executed at the new head.
    once = await post(cached, asked_once)
    assert outcome(once) == "miss"
    assert once.json()["data"]["metagraph"]["block"]["number"] == after


async def test_a_query_naming_a_block_still_hits_after_the_head_moves(cached: Served) -> None:
    document = "query($b: Int) { metagraph(block: $b) { block { number } neurons { uid rank } } }"
    block = await produce(cached, 1)
    first = await post(cached, document, {"b": block})
    await produce(cached, 2)
    again = await post(cached, document, {"b": block})
    assert (outcome(first), outcome(again)) == ("miss", "hit")
    assert again.content == first.content
    assert again.json()["data"]["metagraph"]["block"]["number"] == block
    # Left out (null), the same document answers at the head: another key.
    at_head = await post(cached, document, {"b": None})
    assert outcome(at_head) == "miss"
    assert at_head.json()["data"]["metagraph"]["block"]["number"] == block + 2


async def test_variables_and_roles_do_not_share_answers(cached: Served) -> None:
    await produce(cached, 1)
    document = "query($uid: Int) { neuron(uid: $uid) { uid hotkey } }"
    one = await post(cached, document, {"uid": 1})
    two = await post(cached, document, {"uid": 2})
    assert (outcome(one), outcome(two)) == ("miss", "miss")
    assert one.json()["data"]["neuron"]["uid"] == 1
    assert two.json()["data"]["neuron"]["uid"] == 2
    assert outcome(again := await post(cached, document, {"uid": 2})) == "hit"
    assert again.content == two.content

    as_validator = await post(cached, document, {"uid": 2}, token=VALIDATOR_TOKEN)
    assert outcome(as_validator) == "miss"
    assert outcome(await post(cached, document, {"uid": 2}, token=VALIDATOR_TOKEN)) == "hit"
    # A token that grants no role asks as anonymous does.
    assert outcome(await post(cached, document, {"uid": 2}, token="not-a-token")) == "hit"


async def test_a_query_sent_with_get_is_cached_like_a_post(cached: Served) -> None:
    await produce(cached, 1)
    document = "query($u: Int) { neuron(uid: $u) { uid coldkey } }"
    params = {"query": document, "variables": '{"u": 3}'}
    first = await cached.client.get("/graphql", params=params)
    again = await cached.client.get("/graphql", params=params)
    assert (first.status_code, outcome(first), outcome(again)) == (200, "miss", "hit")
    assert again.content == first.content
    assert first.json()["data"]["neuron"]["uid"] == 3
    posted = await post(cached, document, {"u": 3})
    assert (outcome(posted), posted.content) == ("hit", first.content)


async def test_errors_volatile_fields_and_other_operations_are_not_cached(
    cached: Served,
) -> None:
    await produce(cached, 1)
    future = "{ metagraph(block: 999999999) { neuronCount } }"
    assert "errors" in (await post(cached, future)).json()
    assert outcome(await post(cached, future)) == "miss"  # executed again

    ages = "{ chain { head { number } headAgeSeconds } }"
    first, second = await post(cached, ages), await post(cached, ages)
    assert outcome(first) is outcome(second) is None
    assert first.json()["data"]["chain"]["headAgeSeconds"] is not None

    before = cache_outcomes()
    subscription = await cached.client.post(
        "/graphql", json={"query": "subscription { newBlock { number } }"}
    )
    mutation = await cached.client.post("/graphql", json={"query": "mutation { nothing }"})
    for response in (subscription, mutation):
        assert outcome(response) is None
    after = cache_outcomes()
    assert after["bypass"] - before["bypass"] == 2
    assert after["hit"] == before["hit"] and after["miss"] == before["miss"]


async def cold_block(served: Served) -> int:
    """A block the simnet keeps but whose chain data the reader has dropped (it keeps 4)."""
    head = await produce(served, 6)
    return head - 5


async def test_100_concurrent_identical_cold_queries_execute_once(cached: Served) -> None:
    block = await cold_block(cached)
    document = "query($b: Int) { metagraph(block: $b) { block { number } neurons { uid } } }"
    calls, before = neurons_lite_calls(), cache_outcomes()
    answers = await asyncio.gather(*(post(cached, document, {"b": block}) for _ in range(100)))
    assert neurons_lite_calls() - calls == 1
    after = cache_outcomes()
    assert after["miss"] - before["miss"] == 1
    assert {a.content for a in answers} == {answers[0].content}
    assert answers[0].json()["data"]["metagraph"]["block"]["number"] == block


async def test_100_concurrent_different_cold_queries_read_the_chain_once(
    cached: Served,
) -> None:
    block = await cold_block(cached)
    document = "query($b: Int, $u: Int) { neuron(uid: $u, block: $b) { uid hotkey } }"
    calls, before = neurons_lite_calls(), cache_outcomes()
    answers = await asyncio.gather(
        *(post(cached, document, {"b": block, "u": uid}) for uid in range(100))
    )
    assert neurons_lite_calls() - calls == 1
    assert cache_outcomes()["miss"] - before["miss"] == 100
    assert [a.json()["data"]["neuron"]["uid"] for a in answers] == list(range(100))
