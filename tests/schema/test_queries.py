"""The schema over a small fake chain: a GraphQL document in, the client's JSON out."""

from __future__ import annotations

import logging

import pytest

from pylon_gql.chain.errors import BlockPruned, ChainUnavailable, SubnetNotFound
from pylon_gql.models import RAO_PER_TAO

from .conftest import Execute
from .fakes import FIRST_BLOCK, GENESIS, FakeReader, account, block_hash, make_neuron


def codes(answer: dict) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]


async def test_head_is_the_readers_head_with_its_epoch(execute: Execute) -> None:
    answer = await execute(
        "{ head { number hash parentHash timestamp epoch { block { number } start end } } }"
    )
    head = FIRST_BLOCK + 10
    assert answer == {
        "data": {
            "head": {
                "number": head,
                "hash": block_hash(head),
                "parentHash": block_hash(head - 1),
                "timestamp": "2026-01-01T03:22:00+00:00",
                "epoch": {"block": {"number": head}, "start": 997, "end": 1096},
            }
        }
    }


async def test_block_by_number_and_by_hash_agree(execute: Execute) -> None:
    by_number = await execute("{ block(number: 1003) { number hash parentHash timestamp } }")
    by_hash = await execute(
        "query($h: String!) { block(hash: $h) { number hash parentHash timestamp } }",
        {"h": block_hash(1003)},
    )
    assert by_number == by_hash
    assert by_number["data"]["block"]["hash"] == block_hash(1003)


async def test_unknown_block_hash_is_null(execute: Execute) -> None:
    answer = await execute(
        "query($h: String!) { block(hash: $h) { number } }", {"h": block_hash(999_999)}
    )
    assert answer == {"data": {"block": None}}


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ block(number: 1011) { number } }", "BLOCK_IN_FUTURE"),
        ("{ metagraph(block: 2000000) { netuid } }", "BLOCK_IN_FUTURE"),
        ("{ epoch(block: -1) { start } }", "BAD_USER_INPUT"),
        ('{ block(hash: "0x1234") { number } }', "BAD_USER_INPUT"),
        ('{ block(hash: "zz") { number } }', "BAD_USER_INPUT"),
        ('{ block(number: 1, hash: "0x1234") { number } }', "BAD_USER_INPUT"),
        ("{ neuron(uid: 10) { uid } }", "BAD_USER_INPUT"),
        ("{ neuron(uid: -1) { uid } }", "BAD_USER_INPUT"),
        ("{ neuron { uid } }", "BAD_USER_INPUT"),
        ('{ neuron(hotkey: "5notakey") { uid } }', "BAD_USER_INPUT"),
        ('{ commitment(hotkey: "alice") { data } }', "BAD_USER_INPUT"),
        ("{ metagraph { neurons(first: 7) { uid } } }", "BAD_USER_INPUT"),
        ("{ metagraph { neurons(offset: -1) { uid } } }", "BAD_USER_INPUT"),
        ('{ metagraph { neurons(where: {hotkeys: ["x"]}) { uid } } }', "BAD_USER_INPUT"),
        ("{ metagraph { neuronz } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ metagraph { ", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_bad_input_is_a_typed_error(execute: Execute, document: str, code: str) -> None:
    answer = await execute(document)
    assert codes(answer) == [code]
    assert "Traceback" not in str(answer)


async def test_future_block_error_names_the_head(execute: Execute) -> None:
    answer = await execute("{ block(number: 1020) { number } }")
    assert answer["data"] == {"block": None}
    [error] = answer["errors"]
    assert error["message"].startswith("block 1020 is in the future: the head is 1010")
    assert error["extensions"] == {"code": "BLOCK_IN_FUTURE", "head": 1010}
    assert error["path"] == ["block"]


async def test_field_suggestions_are_off(execute: Execute) -> None:
    answer = await execute("{ metagraph { neuronCont } }")
    assert answer["errors"][0]["message"] == "Cannot query field 'neuronCont' on type 'Metagraph'."


async def test_metagraph_neurons_in_uid_order_with_every_field(execute: Execute) -> None:
    answer = await execute(
        """{ metagraph { block { number hash } netuid neuronCount neurons(first: 2, offset: 3) {
            block { number } uid hotkey coldkey active validatorPermit stake stakeRao rank
            emission emissionRao incentive consensus trust validatorTrust dividends lastUpdate
            blocksSinceLastUpdate pruningScore
            axon { ip port ipType protocol version block }
            prometheus { ip port ipType version block } } } }"""
    )
    metagraph = answer["data"]["metagraph"]
    assert metagraph["block"] == {"number": 1010, "hash": block_hash(1010)}
    assert (metagraph["netuid"], metagraph["neuronCount"]) == (1, 10)
    n = make_neuron(3, 1010)
    assert metagraph["neurons"][0] == {
        "block": {"number": 1010},
        "uid": 3,
        "hotkey": n.hotkey,
        "coldkey": n.coldkey,
        "active": True,
        "validatorPermit": True,
        "stake": n.stake_rao / RAO_PER_TAO,
        "stakeRao": str(n.stake_rao),
        "rank": 0.0,
        "emission": n.emission_rao / RAO_PER_TAO,
        "emissionRao": "1000000000000000003",
        "incentive": n.incentive,
        "consensus": 0.3,
        "trust": 0.5,
        "validatorTrust": 0.5,
        "dividends": 0.25,
        "lastUpdate": 1007,
        "blocksSinceLastUpdate": 3,
        "pruningScore": 7,
        "axon": {
            "ip": "10.0.0.3",
            "port": 8003,
            "ipType": 4,
            "protocol": 4,
            "version": 900,
            "block": 500,
        },
        "prometheus": {"ip": "0.0.0.0", "port": 0, "ipType": 0, "version": 0, "block": 0},
    }
    assert [x["uid"] for x in metagraph["neurons"]] == [3, 4]


async def test_neuron_list_is_capped_by_the_page_size(execute: Execute) -> None:
    answer = await execute("{ metagraph { neurons { uid } } }")
    assert [n["uid"] for n in answer["data"]["metagraph"]["neurons"]] == [0, 1, 2, 3, 4, 5]


FILTERS = [
    ({}, lambda n: True),
    ({"active": True}, lambda n: n.active),
    ({"validatorPermit": False}, lambda n: not n.validator_permit),
    ({"uids": [9, 2, 4, 77]}, lambda n: n.uid in {2, 4, 9}),
    ({"hotkeys": [account(1005), account(1001)]}, lambda n: n.uid in {1, 5}),
    ({"coldkeys": [account(2001)]}, lambda n: n.uid % 3 == 1),
    ({"minStake": 369.0}, lambda n: n.stake >= 369.0),
    ({"active": True, "validatorPermit": True, "minStake": 1}, None),
]


@pytest.mark.parametrize(("where", "keep"), FILTERS)
@pytest.mark.parametrize(
    ("field", "attribute"),
    [
        ("UID", "uid"),
        ("STAKE", "stake_rao"),
        ("INCENTIVE", "incentive"),
        ("DIVIDENDS", "dividends"),
        ("PRUNING_SCORE", "pruning_score"),
        ("LAST_UPDATE", "last_update"),
    ],
)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_filters_and_ordering_match_python(
    execute: Execute, where: dict, keep, field: str, attribute: str, direction: str
) -> None:
    neurons = [make_neuron(uid, 1010) for uid in range(10)]
    if keep is None:
        expected = [n for n in neurons if n.active and n.validator_permit and n.stake >= 1]
    else:
        expected = [n for n in neurons if keep(n)]
    expected.sort(key=lambda n: n.uid)
    expected.sort(key=lambda n: getattr(n, attribute), reverse=direction == "DESC")
    answer = await execute(
        """query($where: NeuronFilter, $order: NeuronOrder) {
            metagraph { neurons(where: $where, orderBy: $order, first: 6) { uid } } }""",
        {"where": where, "order": {"field": field, "direction": direction}},
    )
    got = [n["uid"] for n in answer["data"]["metagraph"]["neurons"]]
    assert got == [n.uid for n in expected][:6]


async def test_neuron_by_uid_and_by_hotkey(execute: Execute) -> None:
    by_uid = await execute("{ neuron(uid: 4, block: 1005) { uid hotkey block { number } } }")
    by_hotkey = await execute(
        "query($k: String!) { neuron(hotkey: $k, block: 1005) { uid hotkey block { number } } }",
        {"k": account(1004)},
    )
    assert (
        by_uid
        == by_hotkey
        == {"data": {"neuron": {"uid": 4, "hotkey": account(1004), "block": {"number": 1005}}}}
    )


async def test_unregistered_hotkey_is_null(execute: Execute) -> None:
    answer = await execute(
        "query($k: String!) { neuron(hotkey: $k) { uid } }", {"k": account(4321)}
    )
    assert answer == {"data": {"neuron": None}}


async def test_field_selection_returns_only_those_fields(execute: Execute) -> None:
    answer = await execute("{ neuron(uid: 2) { uid stake incentive } }")
    assert list(answer["data"]["neuron"]) == ["uid", "stake", "incentive"]


async def test_block_is_resolved_once_per_field(execute: Execute, reader: FakeReader) -> None:
    await execute("{ metagraph(block: 1004) { neuronCount neurons { uid } } }")
    assert reader.calls == ["resolve", "metagraph"]


async def test_epoch_and_commit_window(execute: Execute, reader: FakeReader) -> None:
    reader.head_number = 1100
    answer = await execute(
        """{ epoch(block: 1050) { block { number } netuid tempo index start end blocksRemaining
            commitWindow { start end open } } }"""
    )
    assert answer == {
        "data": {
            "epoch": {
                "block": {"number": 1050},
                "netuid": 1,
                "tempo": 99,
                "index": 10,
                "start": 997,
                "end": 1096,
                "blocksRemaining": 47,
                "commitWindow": {"start": 1047, "end": 1086, "open": True},
            }
        }
    }


async def test_hyperparameters_keep_big_numbers_exact(execute: Execute) -> None:
    answer = await execute(
        "{ hyperparameters { block { number } tempo difficulty maxBurn registrationAllowed } }"
    )
    assert answer == {
        "data": {
            "hyperparameters": {
                "block": {"number": 1010},
                "tempo": 99,
                "difficulty": "9223372036854775809",
                "maxBurn": "100000000000",
                "registrationAllowed": True,
            }
        }
    }


async def test_subnet(execute: Execute) -> None:
    answer = await execute(
        "{ subnet(block: 1001) { block { number } name symbol ownerHotkey ownerColdkey tempo } }"
    )
    assert answer["data"]["subnet"] == {
        "block": {"number": 1001},
        "name": "apex",
        "symbol": "\u03b1",
        "ownerHotkey": account(1),
        "ownerColdkey": account(2),
        "tempo": 99,
    }


async def test_commitments_as_hex_and_text(execute: Execute) -> None:
    answer = await execute(
        """query($k: String!) {
            one: commitment(hotkey: $k) { hotkey committedAt data text block { number } }
            all: commitments { hotkey data text } }""",
        {"k": account(1000)},
    )
    assert answer["data"]["one"] == {
        "hotkey": account(1000),
        "committedAt": 900,
        "data": "0x68656c6c6f",
        "text": "hello",
        "block": {"number": 1010},
    }
    assert answer["data"]["all"] == [
        {"hotkey": account(1000), "data": "0x68656c6c6f", "text": "hello"},
        {"hotkey": account(1001), "data": "0xff00", "text": None},
    ]


async def test_chain(execute: Execute) -> None:
    answer = await execute(
        "{ chain { network simulated genesisHash specVersion head { number } headAgeSeconds } }",
        head_age=lambda: 1.5,
    )
    assert answer["data"]["chain"] == {
        "network": "sim",
        "simulated": True,
        "genesisHash": GENESIS,
        "specVersion": 318,
        "head": {"number": 1010},
        "headAgeSeconds": 1.5,
    }


async def test_before_the_first_head_queries_are_unavailable(
    execute: Execute, reader: FakeReader
) -> None:
    reader.head_number = None
    answer = await execute("{ metagraph { netuid } }")
    assert codes(answer) == ["UNAVAILABLE"]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ChainUnavailable("connection refused"), "UNAVAILABLE"),
        (BlockPruned("state of block 1001 is pruned"), "BLOCK_PRUNED"),
        (SubnetNotFound("subnet 1 does not exist at block 1001"), "NOT_FOUND"),
    ],
)
async def test_chain_failures_are_typed(
    execute: Execute, reader: FakeReader, error: Exception, code: str
) -> None:
    reader.fail_with["subnet"] = error
    answer = await execute("{ subnet(block: 1001) { name } }")
    assert codes(answer) == [code]
    assert str(error) in answer["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_logged(
    execute: Execute, reader: FakeReader, caplog: pytest.LogCaptureFixture
) -> None:
    reader.fail_with["epoch"] = KeyError("secret internals")
    with caplog.at_level(logging.ERROR, logger="pylon_gql.graphql"):
        answer = await execute("{ epoch { start } }")
    assert answer["errors"] == [
        {
            "message": "Internal server error, request id req-1",
            "locations": [{"line": 1, "column": 3}],
            "path": ["epoch"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"},
        }
    ]
    [record] = caplog.records
    assert "req-1" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError
