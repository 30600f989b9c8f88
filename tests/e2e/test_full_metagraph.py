"""The full metagraph and blocks' content over HTTP, against the simnet over a real websocket:
every value checked against an independent decode of the same chain data (scalecodec through
turbobt, or the recorded finney bytes), and writes by //Bob (signed by turbobt itself) seen
landing in `chainWeights`, `pendingWeightCommits` and their block's extrinsics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet
from scalecodec.utils.ss58 import ss58_encode
from turbobt import Bittensor
from turbobt.subtensor.pallets._types import StorageDoubleMap

from pylon_gql.chain import _internals

from . import snapshot
from .conftest import Served
from .test_weights_chain import BOB, NETUID, VALIDATOR, Chain, chain_server

pytestmark = pytest.mark.timeout(300)

STAKE_FIELDS = "uid alphaStakeRao taoStakeRao totalStakeRao registeredAt identity { name }"
#: block_at_registration, alpha_stake, tao_stake, total_stake in spec 318's SelectiveMetagraph
SELECTIVE_INDEXES = [66, 67, 68, 69]


# --- subnet 1 at the snapshot: finney's own bytes


async def test_the_stake_split_at_the_snapshot_is_finneys(served: Served) -> None:
    answer = await served.query(
        f"query ($b: Int) {{ metagraph(block: $b) {{ neurons {{ {STAKE_FIELDS} }} }} }}",
        {"b": snapshot.NUMBER},
    )
    assert "errors" not in answer, answer
    got = answer["data"]["metagraph"]["neurons"]
    want = snapshot.stake_columns()
    assert len(got) == len(want) == 1024
    for neuron, expected in zip(got, want, strict=True):
        name = None if neuron["identity"] is None else neuron["identity"]["name"]
        assert {**neuron, "identity": name} == expected, expected["uid"]
    assert sum(1 for n in want if n["identity"]) > 0  # some owners have an identity


# --- subnet 2 on a chain of its own: //Bob is its validator, uid 0


@pytest.fixture(scope="module")
async def chain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chain]:
    async with chain_server(tmp_path_factory.mktemp("full"), auto_commit=False) as running:
        yield running


@pytest.fixture(scope="module")
async def bt(chain: Chain) -> AsyncIterator[Bittensor]:
    async with Bittensor(chain.simnet.url) as client:
        yield client


@pytest.fixture(scope="module")
def bob(tmp_path_factory: pytest.TempPathFactory) -> Wallet:
    wallet = Wallet("bob", "default", str(tmp_path_factory.mktemp("wallets")))
    _internals.write_keypair(wallet, "hotkey", Keypair.create_from_uri("//Bob"))
    _internals.write_keypair(wallet, "coldkey", Keypair.create_from_uri("//Charlie"))
    return wallet


async def head_of(chain: Chain) -> tuple[int, str]:
    await chain.synced()
    answer = await chain.post("{ head { number hash } }")
    head = answer["data"]["head"]
    return head["number"], head["hash"]


async def test_the_stake_split_and_links_equal_an_independent_decode(
    chain: Chain, bt: Bittensor
) -> None:
    number, block_hash = await head_of(chain)
    answer = await chain.post(
        f"""query ($b: Int) {{ metagraph(block: $b) {{ neurons {{ {STAKE_FIELDS} hotkey
            parents {{ hotkey proportionRaw }} children {{ hotkey proportionRaw }} }} }} }}""",
        {"b": number},
    )
    assert "errors" not in answer, answer
    neurons = answer["data"]["metagraph"]["neurons"]
    # get_selective_metagraph, decoded by turbobt (scalecodec), with the positions of these
    # columns in spec 318's SelectiveMetagraph
    graph: Any = await bt.subtensor.api_call(
        "SubnetInfoRuntimeApi",
        "get_selective_metagraph",
        netuid=NETUID,
        metagraph_indexes=SELECTIVE_INDEXES,
        block_hash=block_hash,
    )
    assert len(neurons) == len(graph["alpha_stake"]) == 256
    for neuron in neurons:
        uid = neuron["uid"]
        assert neuron["alphaStakeRao"] == str(graph["alpha_stake"][uid]), uid
        assert neuron["taoStakeRao"] == str(graph["tao_stake"][uid]), uid
        assert neuron["totalStakeRao"] == str(graph["total_stake"][uid]), uid
        assert neuron["registeredAt"] == graph["block_at_registration"][uid], uid
    # the links, from ParentKeys/ChildKeys decoded by turbobt, for the first validators
    for neuron in neurons[:8]:
        for item, served in (("ParentKeys", "parents"), ("ChildKeys", "children")):
            raw: Any = await bt.subtensor.state.getStorage(
                f"SubtensorModule.{item}", neuron["hotkey"], NETUID, block_hash=block_hash
            )
            want = [
                {"hotkey": ss58_encode(bytes.fromhex(key[2:]), 42), "proportionRaw": str(p)}
                for p, key in raw or ()
            ]
            assert neuron[served] == want, (neuron["uid"], item)
    # subnet 2's seeded links: uid 1 gives half its own alpha to uid 3; the split moves with it
    assert [c["hotkey"] for c in neurons[1]["children"]] == [neurons[3]["hotkey"]]
    assert {p["hotkey"] for p in neurons[3]["parents"]} == {
        neurons[1]["hotkey"],
        neurons[2]["hotkey"],
    }
    own: Any = await bt.subtensor.state.getStorage(
        "SubtensorModule.TotalHotkeyAlpha", neurons[1]["hotkey"], NETUID, block_hash=block_hash
    )
    assert int(neurons[1]["alphaStakeRao"]) == int(own) - int(own) * (2**63 - 1) // (2**64 - 1)


async def test_the_matrices_equal_an_independent_decode(chain: Chain, bt: Bittensor) -> None:
    number, block_hash = await head_of(chain)
    answer = await chain.post(
        """query ($b: Int) { metagraph(block: $b) {
            chainWeights { uid weights { uid weight weightU16 } }
            bonds { uid bonds { uid bond bondU16 } } } }""",
        {"b": number},
        token=VALIDATOR,  # both matrices in full: over the anonymous budget
    )
    assert "errors" not in answer, answer
    matrix = answer["data"]["metagraph"]
    weights = await bt.subnet(NETUID).weights.fetch(block_hash=block_hash)
    assert weights  # the seeded validators' rows
    assert {
        row["uid"]: {w["uid"]: w["weight"] for w in row["weights"]}
        for row in matrix["chainWeights"]
    } == weights
    for row in matrix["chainWeights"]:
        for w in row["weights"]:
            assert w["weight"] == w["weightU16"] / 65535
    bonds_map = StorageDoubleMap[int, int, Any](bt.subtensor, "SubtensorModule", "Bonds")
    bonds = await bonds_map.fetch(NETUID, block_hash=block_hash)
    assert bonds
    assert {
        row["uid"]: [(b["uid"], b["bondU16"]) for b in row["bonds"]] for row in matrix["bonds"]
    } == {uid: [tuple(pair) for pair in row] for (_, uid), row in bonds}


async def test_pending_and_revealed_commitments_equal_turbobts(chain: Chain, bt: Bittensor) -> None:
    # At the snapshot, subnet 2's uid 1 has a commit pending (seeded); later blocks of this
    # chain run epochs of 10 blocks, which age it out.
    number = snapshot.NUMBER
    found = await chain.post("query ($n: Int) { block(number: $n) { hash } }", {"n": number})
    block_hash = found["data"]["block"]["hash"]
    answer = await chain.post(
        """query ($b: Int) {
            pendingWeightCommits(block: $b) { hotkey uid epoch commitBlock revealRound ciphertext }
            revealedCommitments(block: $b) { hotkey revealedAt text } }""",
        {"b": number},
    )
    assert "errors" not in answer, answer
    pending = await bt.subnet(NETUID).weights.fetch_pending(block_hash=block_hash)
    want = sorted(
        (hotkey, epoch, c.block, c.reveal_round, "0x" + c.commit.hex())
        for epoch, commits in pending.items()
        for hotkey, c in commits.items()
    )
    assert want  # the seeded commit
    got = sorted(
        (c["hotkey"], c["epoch"], c["commitBlock"], c["revealRound"], c["ciphertext"])
        for c in answer["data"]["pendingWeightCommits"]
    )
    assert got == want
    revealed = await bt.subnet(NETUID).commitments.fetch_revealed(block_hash=block_hash)
    assert revealed  # seeded: the simnet cannot decrypt drand offline
    assert sorted(
        (c["hotkey"], c["revealedAt"], c["text"]) for c in answer["data"]["revealedCommitments"]
    ) == sorted(
        (hotkey, r["reveal_block"], r["data"]) for hotkey, rs in revealed.items() for r in rs
    )


FIND = """query ($n: Int, $call: String, $signer: String) { block(number: $n) {
    number hash extrinsics(where: {pallet: "SubtensorModule", call: $call, signer: $signer}) {
      index hash success error signer args events { pallet name fields } } } }"""


async def landed(chain: Chain, call: str, since: int) -> dict[str, Any]:
    """The block after `since` holding //Bob's `call`, with that extrinsic."""
    number, _ = await head_of(chain)
    found = []
    for n in range(since + 1, number + 1):
        answer = await chain.post(FIND, {"n": n, "call": call, "signer": BOB})
        assert "errors" not in answer, answer
        block = answer["data"]["block"]
        found += [(block, extrinsic) for extrinsic in block["extrinsics"]]
    assert len(found) == 1, found
    block, extrinsic = found[0]
    return {**block, "extrinsic": extrinsic}


async def test_bobs_commit_and_set_weights_land_where_a_validator_looks(
    chain: Chain, bt: Bittensor, bob: Wallet
) -> None:
    weights = {1: 0.25, 9: 1.0, 20: 0.5}
    # Commit-reveal is on: a timelocked commit, pending until the chain reveals it.
    before, _ = await head_of(chain)
    reveal_round = await bt.subnet(NETUID).weights.commit(weights, wallet=bob)
    commit = await landed(chain, "commit_timelocked_mechanism_weights", before)
    assert commit["extrinsic"]["success"] is True
    assert commit["extrinsic"]["args"]["reveal_round"] == reveal_round
    pending = await chain.post(
        """query ($b: Int) {
            pendingWeightCommits(block: $b) { hotkey uid commitBlock revealRound } }""",
        {"b": commit["number"]},
    )
    assert {
        "hotkey": BOB,
        "uid": 0,
        "commitBlock": commit["number"],
        "revealRound": reveal_round,
    } in pending["data"]["pendingWeightCommits"]

    # Off, and set in the clear: the row of uid 0 becomes these weights.
    off = await chain.set_hyperparameter("commit_reveal_weights_enabled", False)
    assert off["__typename"] == "SetHyperparameterSuccess", off
    before, _ = await head_of(chain)
    await bt.subnet(NETUID).weights.set(weights, wallet=bob)
    landed_set = await landed(chain, "set_mechanism_weights", before)
    extrinsic = landed_set["extrinsic"]
    assert extrinsic["success"] is True and extrinsic["error"] is None
    assert extrinsic["args"]["dests"] == sorted(weights)
    assert [(e["pallet"], e["name"]) for e in extrinsic["events"]] == [
        ("SubtensorModule", "WeightsSet"),
        ("System", "ExtrinsicSuccess"),
    ]
    assert extrinsic["events"][0]["fields"] == [NETUID, 0]
    row = await chain.post(
        """query ($b: Int) { metagraph(block: $b) { chainWeights(uids: [0]) {
            uid weights { uid weight weightU16 } } } }""",
        {"b": landed_set["number"]},
    )
    got = row["data"]["metagraph"]["chainWeights"][0]
    assert {w["uid"]: w["weightU16"] for w in got["weights"]} == {
        uid: round(w * 65535) for uid, w in weights.items()
    }
    independent = await bt.subnet(NETUID).weights.get(0, block_hash=landed_set["hash"])
    assert {w["uid"]: w["weight"] for w in got["weights"]} == independent
    # the row before the write was the seeded one
    earlier = await chain.post(
        """query ($b: Int) { metagraph(block: $b) { chainWeights(uids: [0]) {
            weights { uid } } } }""",
        {"b": landed_set["number"] - 1},
    )
    assert [w["uid"] for w in earlier["data"]["metagraph"]["chainWeights"][0]["weights"]] != [
        1,
        9,
        20,
    ]

    # The chain refusing one (commit-reveal on again): the block says so, with the error.
    on = await chain.set_hyperparameter("commit_reveal_weights_enabled", True)
    assert on["__typename"] == "SetHyperparameterSuccess", on
    before, _ = await head_of(chain)
    with pytest.raises(Exception, match="CommitRevealEnabled"):
        await bt.subnet(NETUID).weights.set(weights, wallet=bob)
    refused = await landed(chain, "set_mechanism_weights", before)
    assert refused["extrinsic"]["success"] is False
    assert refused["extrinsic"]["error"] == "SubtensorModule.CommitRevealEnabled"
    failed = await chain.post(
        """query ($n: Int) { block(number: $n) { extrinsics(where: {success: false}) { index }
            events(where: {name: "ExtrinsicFailed"}) { extrinsicIndex fields } } }""",
        {"n": refused["number"]},
    )
    block = failed["data"]["block"]
    assert block["extrinsics"] == [{"index": refused["extrinsic"]["index"]}]
    assert block["events"][0]["extrinsicIndex"] == refused["extrinsic"]["index"]


async def test_a_validator_token_reads_the_full_matrix_and_an_anonymous_caller_one_row(
    chain: Chain,
) -> None:
    document = "{ metagraph { chainWeights { uid weights { uid weight } } } }"
    anonymous = await chain.client.post("/graphql", json={"query": document})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    with_token = await chain.post(document, token=VALIDATOR)
    assert "errors" not in with_token
    one = await chain.client.post(
        "/graphql", json={"query": "{ metagraph { chainWeights(uids: [1]) { uid } } }"}
    )
    assert one.json()["data"]["metagraph"]["chainWeights"] == [{"uid": 1}]


def readme_examples() -> list[str]:
    """The README's GraphQL examples of the full metagraph."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The full metagraph") :]
    section = section[: section.index("Every field that takes `block`")]
    return [block[: block.index("```")] for block in section.split("```graphql\n")[1:]]


async def test_the_readmes_examples_answer_without_errors(served: Served) -> None:
    examples = readme_examples()
    assert len(examples) == 5
    for example in examples:
        answer = await served.query(example, {"block": snapshot.NUMBER, "me": BOB})
        assert "errors" not in answer, (example, answer)
        assert answer["data"], example


async def test_the_new_root_fields_answers_are_kept(served: Served) -> None:
    document = """query ($b: Int) { pendingWeightCommits(block: $b) { hotkey }
        revealedCommitments(block: $b) { hotkey } }"""
    body = {"query": document, "variables": {"b": snapshot.NUMBER}}
    first = await served.client.post("/graphql", json=body)
    again = await served.client.post("/graphql", json=body)
    assert first.json() == again.json()
    assert again.headers.get("x-pylon-cache") == "hit"
