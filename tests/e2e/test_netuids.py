"""Reads of any subnet (`netuid:`) over HTTP, against the simnet over a real websocket: the
served subnet is 1 (PYLON_NETUID), subnet 2 is read on demand and compared with turbobt's own
decode of the same block."""

from __future__ import annotations

from pathlib import Path

import pytest
from turbobt import Bittensor

from .conftest import Served

pytestmark = pytest.mark.timeout(300)


async def _head(served: Served) -> tuple[int, str]:
    answer = await served.query("{ head { number hash } }")
    assert "errors" not in answer, answer
    return answer["data"]["head"]["number"], answer["data"]["head"]["hash"]


async def test_subnet_2s_metagraph_equals_turbobts_read(served: Served) -> None:
    number, block_hash = await _head(served)
    answer = await served.query(
        """query ($b: Int) { metagraph(netuid: 2, block: $b) { netuid neuronCount
            neurons(first: 1000) { uid hotkey coldkey stake rank trust lastUpdate
              validatorPermit } } }""",
        {"b": number},
    )
    assert "errors" not in answer, answer
    metagraph = answer["data"]["metagraph"]
    assert metagraph["netuid"] == 2
    simnet = served.services.simnet
    assert simnet is not None
    async with Bittensor(simnet.url) as bt:
        want = await bt.subnet(2).list_neurons(block_hash=block_hash)
    assert metagraph["neuronCount"] == len(want) > 0
    for got, neuron in zip(metagraph["neurons"], want, strict=True):
        assert got["uid"] == neuron.uid
        assert got["hotkey"] == neuron.hotkey
        assert got["coldkey"] == neuron.coldkey
        assert got["stake"] == pytest.approx(neuron.stake)
        assert got["rank"] == pytest.approx(neuron.rank)
        assert got["trust"] == pytest.approx(neuron.trust)
        assert got["lastUpdate"] == neuron.last_update
        assert got["validatorPermit"] == neuron.validator_permit


async def test_each_read_answers_for_the_subnet_asked(served: Served) -> None:
    number, _ = await _head(served)
    document = """query ($n: Int, $b: Int) {
        metagraph(netuid: $n, block: $b) { netuid neuronCount }
        neuron(netuid: $n, uid: 0, block: $b) { hotkey }
        epoch(netuid: $n, block: $b) { netuid start end }
        hyperparameters(netuid: $n, block: $b) { tempo }
        subnet(netuid: $n, block: $b) { netuid }
        commitments(netuid: $n, block: $b) { hotkey }
    }"""
    one = await served.query(document, {"n": 1, "b": number})
    default = await served.query(document, {"b": number})
    two = await served.query(document, {"n": 2, "b": number})
    for answer in (one, default, two):
        assert "errors" not in answer, answer
    assert default == one  # PYLON_NETUID is 1
    assert one["data"]["metagraph"] == {"netuid": 1, "neuronCount": 1024}
    data = two["data"]
    assert data["metagraph"]["netuid"] == data["epoch"]["netuid"] == data["subnet"]["netuid"] == 2
    assert data["metagraph"]["neuronCount"] != 1024
    assert data["neuron"]["hotkey"] != one["data"]["neuron"]["hotkey"]
    # subtensor runs subnet n's epoch (an epoch's start) where (block + n + 1) % (tempo + 1)
    # == tempo, with each subnet's own tempo
    for netuid, answer in ((1, one), (2, two)):
        tempo = answer["data"]["hyperparameters"]["tempo"]
        assert (answer["data"]["epoch"]["start"] + netuid + 1) % (tempo + 1) == tempo


async def test_a_subnet_that_does_not_exist_is_not_found(served: Served) -> None:
    number, _ = await _head(served)
    for field in (
        "metagraph(netuid: 77, block: $b) { netuid }",
        "neuron(netuid: 77, uid: 0, block: $b) { uid }",
        "epoch(netuid: 77, block: $b) { start }",
        "hyperparameters(netuid: 77, block: $b) { tempo }",
        "subnet(netuid: 77, block: $b) { netuid }",
        "commitments(netuid: 77, block: $b) { hotkey }",
        "revealedCommitments(netuid: 77, block: $b) { hotkey }",
    ):
        answer = await served.query(f"query ($b: Int) {{ {field} }}", {"b": number})
        # a nullable field (neuron) answers null beside its error
        assert answer["data"] in (None, {field.split("(")[0]: None}), field
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "NOT_FOUND", (field, error)
        assert "subnet 77" in error["message"], error


async def test_a_netuid_out_of_range_is_bad_user_input(served: Served) -> None:
    answer = await served.query("{ metagraph(netuid: 70000) { netuid } }")
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "netuid must be between 0 and 65535" in error["message"]


async def test_the_response_cache_keeps_one_answer_per_subnet(served: Served) -> None:
    """Two netuids, one document: two answers, each a cache hit when asked again."""
    document = "query ($n: Int) { metagraph(netuid: $n) { netuid neuronCount } }"

    async def ask(netuid: int) -> tuple[str | None, dict]:
        response = await served.client.post(
            "/graphql", json={"query": document, "variables": {"n": netuid}}
        )
        assert response.status_code == 200, response.text
        return response.headers.get("x-pylon-cache"), response.json()["data"]

    # the head may move between asks (another test's block): ask until both are hits at one
    first: dict[int, tuple[str | None, dict]] = {}
    again: dict[int, tuple[str | None, dict]] = {}
    for _ in range(5):
        first = {n: await ask(n) for n in (1, 2)}
        again = {n: await ask(n) for n in (1, 2)}
        if all(again[n][0] == "hit" for n in (1, 2)):
            break
    assert [again[n][0] for n in (1, 2)] == ["hit", "hit"]
    assert again[1][1] == {"metagraph": {"netuid": 1, "neuronCount": 1024}}
    assert again[2][1]["metagraph"]["netuid"] == 2
    assert again[2][1] != again[1][1]
    assert {n: first[n][1] for n in (1, 2)} == {n: again[n][1] for n in (1, 2)}


def readme_examples() -> list[str]:
    """The README's GraphQL examples of several subnets."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Several subnets") :]
    section = section[: section.index("### The full metagraph")]
    return [block[: block.index("```")] for block in section.split("```graphql\n")[1:]]


async def test_the_readmes_multi_subnet_examples_answer(served: Served) -> None:
    examples = readme_examples()
    assert examples
    number, _ = await _head(served)
    for example in examples:
        variables = {"block": number, "ahead": number + 1000, "from": number, "to": number}
        answer = await served.query(example, variables)
        assert "errors" not in answer, (example, answer)
        assert answer["data"], example
    data = (await served.query(examples[0], {"block": number}))["data"]
    assert (data["one"]["netuid"], data["two"]["netuid"]) == (1, 2)
    assert len(data["two"]["neurons"]) == 3
