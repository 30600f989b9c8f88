"""The full metagraph's fields over the fake chain: what each answers, what it refuses, and that
a query pays only for the reads it selects."""

from __future__ import annotations

from pylon_gql.auth import Role
from pylon_gql.models import RAO_PER_TAO

from .conftest import Execute
from .fakes import FIRST_BLOCK, TEMPO, FakeReader, account, make_neuron

HEAD = FIRST_BLOCK + 10


def codes(answer: dict) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]


async def test_a_neuron_list_without_detail_fields_reads_no_details(
    execute: Execute, reader: FakeReader
) -> None:
    answer = await execute("{ metagraph { neurons { uid stake lastUpdate } } }")
    assert "errors" not in answer
    assert not {"neuron_stakes", "stake_links", "hyperparameters"} & set(reader.calls)


async def test_the_stake_split_registration_and_identity(
    execute: Execute, reader: FakeReader
) -> None:
    answer = await execute(
        """{ metagraph { neurons(where: {uids: [1, 2]}) {
            uid alphaStake alphaStakeRao taoStake taoStakeRao totalStake totalStakeRao
            registeredAt isImmune identity { name url } } } }"""
    )
    assert answer == {
        "data": {
            "metagraph": {
                "neurons": [
                    {
                        "uid": 1,
                        "alphaStake": 1.0,
                        "alphaStakeRao": str(RAO_PER_TAO),
                        "taoStake": 2.0,
                        "taoStakeRao": str(2 * RAO_PER_TAO),
                        "totalStake": 1.0,
                        "totalStakeRao": str(RAO_PER_TAO),
                        "registeredAt": HEAD - 10,
                        # immunity period 7 (the fake's hyperparameters): 10 blocks is past it
                        "isImmune": False,
                        "identity": {"name": "apex", "url": "https://apex.example"},
                    },
                    {
                        "uid": 2,
                        "alphaStake": 2.0,
                        "alphaStakeRao": str(2 * RAO_PER_TAO),
                        "taoStake": 4.0,
                        "taoStakeRao": str(4 * RAO_PER_TAO),
                        "totalStake": 3.0,
                        "totalStakeRao": str(3 * RAO_PER_TAO),
                        "registeredAt": HEAD - 20,
                        "isImmune": False,
                        "identity": None,
                    },
                ]
            }
        }
    }
    assert reader.calls.count("neuron_stakes") == 1
    assert "stake_links" not in reader.calls


async def test_a_neuron_registered_within_the_immunity_period_is_immune(
    execute: Execute,
) -> None:
    answer = await execute("{ neuron(uid: 0) { registeredAt isImmune } }")
    assert answer["data"]["neuron"] == {"registeredAt": HEAD, "isImmune": True}


async def test_parents_and_children_with_their_proportions(execute: Execute) -> None:
    answer = await execute(
        """{ metagraph { neurons(where: {uids: [1, 3, 4]}) {
            uid parents { hotkey proportion proportionRaw } children { hotkey proportion } } } }"""
    )
    neurons = answer["data"]["metagraph"]["neurons"]
    assert neurons == [
        {
            "uid": 1,
            "parents": [],
            "children": [{"hotkey": account(1003), "proportion": 0.5}],
        },
        {
            "uid": 3,
            "parents": [{"hotkey": account(1001), "proportion": 0.5, "proportionRaw": str(2**63)}],
            "children": [],
        },
        {"uid": 4, "parents": [], "children": []},
    ]


async def test_validator_liveness_and_the_updated_within_filter(execute: Execute) -> None:
    # make_neuron(uid, head): last update head - uid; odd uids hold a validator permit
    answer = await execute(
        """{ metagraph { neurons(where: {updatedWithinBlocks: 3}) {
            uid lastUpdate validatorLiveness { blocksSinceLastUpdate temposSinceLastUpdate
            active } } } }"""
    )
    neurons = answer["data"]["metagraph"]["neurons"]
    assert [n["uid"] for n in neurons] == [0, 1, 2, 3]
    assert neurons[0]["validatorLiveness"] is None  # no permit
    # activity cutoff 7 (the fake's): updated 3 blocks ago is active
    assert neurons[3]["validatorLiveness"] == {
        "blocksSinceLastUpdate": 3,
        "temposSinceLastUpdate": 3 // (TEMPO + 1),
        "active": True,
    }
    assert make_neuron(3, HEAD).last_update == HEAD - 3


async def test_a_negative_updated_within_is_refused(execute: Execute) -> None:
    answer = await execute("{ metagraph { neurons(where: {updatedWithinBlocks: -1}) { uid } } }")
    assert codes(answer) == ["BAD_USER_INPUT"]


async def test_the_weights_matrix_rows_and_one_row(execute: Execute) -> None:
    # A full matrix is estimated at 64 rows of 1024 entries: over the anonymous budget.
    every = await execute(
        "{ metagraph { chainWeights { uid hotkey weights { uid weight weightU16 } } } }",
        roles=frozenset({Role.READER}),
    )
    assert "errors" not in every, every
    rows = every["data"]["metagraph"]["chainWeights"]
    assert [row["uid"] for row in rows] == [1, 3, 5, 7, 9]
    assert rows[1] == {
        "uid": 3,
        "hotkey": account(1003),
        "weights": [
            {"uid": 0, "weight": 1.0, "weightU16": 65535},
            {"uid": 2, "weight": 3000 / 65535, "weightU16": 3000},
            {"uid": 4, "weight": 1 / 65535, "weightU16": 1},
        ],
    }
    one = await execute("{ metagraph { chainWeights(uids: [3, 2]) { uid weights { uid } } } }")
    assert one["data"]["metagraph"]["chainWeights"] == [
        {"uid": 3, "weights": [{"uid": 0}, {"uid": 2}, {"uid": 4}]},
        {"uid": 2, "weights": []},  # asked for, and it has no row
    ]


async def test_the_bonds_matrix(execute: Execute) -> None:
    answer = await execute("{ metagraph { bonds(uids: [1]) { uid bonds { uid bond bondU16 } } } }")
    assert answer["data"]["metagraph"]["bonds"] == [
        {
            "uid": 1,
            "bonds": [
                {"uid": 0, "bond": 1.0, "bondU16": 65535},
                {"uid": 2, "bond": 1000 / 65535, "bondU16": 1000},
                {"uid": 4, "bond": 1 / 65535, "bondU16": 1},
            ],
        }
    ]


async def test_matrix_arguments_outside_the_subnet_are_refused(execute: Execute) -> None:
    for document in (
        "{ metagraph { chainWeights(uids: [10]) { uid } } }",
        "{ metagraph { bonds(uids: [-1]) { uid } } }",
        "{ metagraph { chainWeights(mechanism: 2) { uid } } }",
        "{ metagraph { bonds(mechanism: -1) { uid } } }",
    ):
        answer = await execute(document)
        assert codes(answer) == ["BAD_USER_INPUT"], document
        assert answer["data"] is None
    answer = await execute("{ metagraph { chainWeights(mechanism: 2) { uid } } }")
    message = answer["errors"][0]["message"]
    assert "has 2 mechanism(s)" in message and "no mechanism 2" in message


async def test_mechanisms_and_a_mechanisms_matrix(execute: Execute) -> None:
    answer = await execute(
        "{ metagraph { mechanisms { count splitSet emissionSplit { mechanism share shareU16 } }"
        " chainWeights(mechanism: 1, uids: [1]) { uid } } }"
    )
    assert "errors" not in answer, answer
    mechanisms = answer["data"]["metagraph"]["mechanisms"]
    assert mechanisms["count"] == 2 and mechanisms["splitSet"] is False
    # unset: an even split, the rounding remainder to mechanism 0
    assert mechanisms["emissionSplit"] == [
        {"mechanism": 0, "share": 32768 / 65535, "shareU16": 32768},
        {"mechanism": 1, "share": 32767 / 65535, "shareU16": 32767},
    ]
    assert answer["data"]["metagraph"]["chainWeights"] == [{"uid": 1}]


async def test_a_blocks_extrinsics_filtered_by_pallet_call_and_signer(execute: Execute) -> None:
    answer = await execute(
        """query ($signer: String) { block(number: 1005) { extrinsics(where: {
            pallet: "SubtensorModule", call: "set_mechanism_weights", signer: $signer }) {
            index signer success error fee nonce events { name } } } }""",
        {"signer": account(1001)},
    )
    assert answer["data"]["block"]["extrinsics"] == [
        {
            "index": 1,
            "signer": account(1001),
            "success": True,
            "error": None,
            "fee": "1000",
            "nonce": 4,
            "events": [{"name": "WeightsSet"}, {"name": "ExtrinsicSuccess"}],
        },
        {
            "index": 2,
            "signer": account(1001),
            "success": False,
            "error": "SubtensorModule.SettingWeightsTooFast",
            "fee": None,
            "nonce": 5,
            "events": [{"name": "ExtrinsicFailed"}],
        },
    ]
    failed = await execute("{ head { extrinsics(where: {success: false}) { index } } }")
    assert failed["data"]["head"]["extrinsics"] == [{"index": 2}]


async def test_a_blocks_events_filtered(execute: Execute) -> None:
    answer = await execute(
        """{ head { events(where: {pallet: "System"}) { index phase extrinsicIndex name } } }"""
    )
    assert answer["data"]["head"]["events"] == [
        {"index": 0, "phase": "APPLY_EXTRINSIC", "extrinsicIndex": 0, "name": "ExtrinsicSuccess"},
        {"index": 2, "phase": "APPLY_EXTRINSIC", "extrinsicIndex": 1, "name": "ExtrinsicSuccess"},
        {"index": 3, "phase": "APPLY_EXTRINSIC", "extrinsicIndex": 2, "name": "ExtrinsicFailed"},
        {"index": 4, "phase": "FINALIZATION", "extrinsicIndex": None, "name": "Remarked"},
    ]
    of_one = await execute("{ head { events(where: {extrinsicIndex: 1}) { name fields } } }")
    assert of_one["data"]["head"]["events"] == [
        {"name": "WeightsSet", "fields": [1, 1]},
        {"name": "ExtrinsicSuccess", "fields": {}},
    ]


async def test_a_filter_naming_what_the_runtime_lacks_is_refused_with_a_suggestion(
    execute: Execute,
) -> None:
    pallet = await execute('{ head { extrinsics(where: {pallet: "Subtensor"}) { index } } }')
    assert codes(pallet) == ["BAD_USER_INPUT"]
    assert "did you mean 'SubtensorModule'" in pallet["errors"][0]["message"]
    call = await execute(
        """{ head { extrinsics(where: {pallet: "SubtensorModule", call: "set_weight"}) {
            index } } }"""
    )
    assert "set_mechanism_weights" in call["errors"][0]["message"]
    event = await execute('{ head { events(where: {name: "WeightSet"}) { index } } }')
    assert "'WeightsSet'" in event["errors"][0]["message"]
    signer = await execute('{ head { extrinsics(where: {signer: "5abc"}) { index } } }')
    assert codes(signer) == ["BAD_USER_INPUT"]


async def test_pending_weight_commits_with_the_committers_uid(execute: Execute) -> None:
    answer = await execute(
        """{ pendingWeightCommits { block { number } hotkey uid epoch commitBlock revealRound
            ciphertext } }"""
    )
    assert answer["data"]["pendingWeightCommits"] == [
        {
            "block": {"number": HEAD},
            "hotkey": account(1003),
            "uid": 3,
            "epoch": 42,
            "commitBlock": HEAD - 1,
            "revealRound": 12345,
            "ciphertext": "0x0102",
        }
    ]
    refused = await execute("{ pendingWeightCommits(netuid: 70000) { uid } }")
    assert codes(refused) == ["BAD_USER_INPUT"]


async def test_revealed_commitments_of_a_hotkey_and_of_all(execute: Execute) -> None:
    every = await execute("{ revealedCommitments { hotkey revealedAt data text } }")
    assert every["data"]["revealedCommitments"] == [
        {
            "hotkey": account(1005),
            "revealedAt": HEAD - 3,
            "data": "0x" + b"revealed".hex(),
            "text": "revealed",
        }
    ]
    none = await execute(
        "query ($h: String) { revealedCommitments(hotkey: $h) { hotkey } }",
        {"h": account(1001)},
    )
    assert none["data"]["revealedCommitments"] == []
    refused = await execute('{ revealedCommitments(hotkey: "nope") { hotkey } }')
    assert codes(refused) == ["BAD_USER_INPUT"]


async def test_a_full_matrix_is_over_the_anonymous_budget_but_one_row_is_not(
    execute: Execute,
) -> None:
    full = await execute("{ metagraph { chainWeights { uid weights { uid weight } } } }")
    assert codes(full) == ["QUERY_TOO_COMPLEX"]
    assert "matrix rows (`uids`)" in full["errors"][0]["message"]
    row = await execute("{ metagraph { chainWeights(uids: [1]) { uid weights { uid weight } } } }")
    assert "errors" not in row
