"""Subnet 1 at the snapshot block, over HTTP, against the fixture decoded independently."""

from __future__ import annotations

from typing import Any

import pytest

from . import snapshot
from .conftest import Served

NEURON_FIELDS = """uid hotkey coldkey active validatorPermit stake stakeRao incentive dividends
    emissionRao lastUpdate axon { ip port protocol version }"""


async def test_metagraph_at_the_snapshot_equals_the_fixture(served: Served) -> None:
    answer = await served.query(
        f"""query($block: Int) {{ metagraph(block: $block) {{
            block {{ number hash }} netuid neuronCount neurons {{ {NEURON_FIELDS} }} }} }}""",
        {"block": snapshot.NUMBER},
    )
    assert "errors" not in answer
    metagraph = answer["data"]["metagraph"]
    assert metagraph["block"] == {"number": snapshot.NUMBER, "hash": snapshot.HASH}
    assert (metagraph["netuid"], metagraph["neuronCount"]) == (1, 1024)
    expected = snapshot.neurons()
    assert len(metagraph["neurons"]) == len(expected) == 1024
    for got, want in zip(metagraph["neurons"], expected, strict=True):
        assert got == want, f"uid {want['uid']}"


async def test_a_three_field_query_returns_exactly_those_fields(served: Served) -> None:
    answer = await served.query(
        "query($b: Int) { neuron(uid: 7, block: $b) { hotkey stakeRao incentive } }",
        {"b": snapshot.NUMBER},
    )
    want = snapshot.neurons()[7]
    assert answer == {
        "data": {
            "neuron": {
                "hotkey": want["hotkey"],
                "stakeRao": want["stakeRao"],
                "incentive": want["incentive"],
            }
        }
    }


def python_select(
    where: dict[str, Any], key: str, descending: bool, first: int
) -> list[dict[str, Any]]:
    """The filter and order the schema promises, done in Python over the fixture."""
    neurons = snapshot.neurons()
    kept = [
        n
        for n in neurons
        if ("active" not in where or n["active"] == where["active"])
        and ("validatorPermit" not in where or n["validatorPermit"] == where["validatorPermit"])
        and ("uids" not in where or n["uid"] in where["uids"])
        and ("hotkeys" not in where or n["hotkey"] in where["hotkeys"])
        and ("coldkeys" not in where or n["coldkey"] in where["coldkeys"])
        and ("minStake" not in where or n["stake"] >= where["minStake"])
    ]
    numeric = {"stakeRao": int, "emissionRao": int}.get(key, lambda v: v)
    kept.sort(key=lambda n: n["uid"])
    kept.sort(key=lambda n: numeric(n[key]), reverse=descending)
    return kept[:first]


CASES = [
    ({"validatorPermit": True}, "STAKE", "stakeRao", True),
    ({"active": False, "minStake": 1000.0}, "INCENTIVE", "incentive", True),
    ({}, "DIVIDENDS", "dividends", True),
    ({}, "EMISSION", "emissionRao", False),
    ({"uids": [5, 900, 17, 300]}, "LAST_UPDATE", "lastUpdate", False),
    ({"minStake": 10.0}, "UID", "uid", True),
]


@pytest.mark.parametrize(("where", "order", "key", "descending"), CASES)
async def test_filters_and_ordering_match_python(
    served: Served, where: dict[str, Any], order: str, key: str, descending: bool
) -> None:
    neurons = snapshot.neurons()
    if order == "UID":
        # The owners of neurons 3 and 4 own other neurons too (or not): filter by both.
        where = {**where, "coldkeys": [neurons[3]["coldkey"], neurons[4]["coldkey"]]}
    answer = await served.query(
        """query($b: Int, $where: NeuronFilter, $order: NeuronOrder) {
            metagraph(block: $b) { neurons(where: $where, orderBy: $order, first: 40) {
                uid hotkey stakeRao incentive dividends emissionRao lastUpdate } } }""",
        {
            "b": snapshot.NUMBER,
            "where": where,
            "order": {"field": order, "direction": "DESC" if descending else "ASC"},
        },
    )
    got = [n["uid"] for n in answer["data"]["metagraph"]["neurons"]]
    want = [n["uid"] for n in python_select(where, key, descending, 40)]
    assert got == want
    assert want, "a case that selects nothing checks nothing"


async def test_neuron_by_hotkey_matches_by_uid(served: Served) -> None:
    want = snapshot.neurons()[512]
    by_hotkey = await served.query(
        "query($k: String!, $b: Int) { neuron(hotkey: $k, block: $b) { uid coldkey } }",
        {"k": want["hotkey"], "b": snapshot.NUMBER},
    )
    assert by_hotkey == {"data": {"neuron": {"uid": 512, "coldkey": want["coldkey"]}}}
