"""The client's full-metagraph methods return what the raw GraphQL queries return, on subnet 2
of the simnet (child hotkeys, a pending commit, revealed commitments), and a write of the
client's own server shows in its block's extrinsics."""

from __future__ import annotations

import asyncio

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    ExtrinsicFilter,
    InvalidInput,
    NeuronFilter,
    PylonClient,
    QueryTooComplex,
)

from .conftest import VALIDATOR_TOKEN, Server
from .test_queries import as_json, raw

BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
DETAILS = """block { number hash } uid hotkey alphaStake alphaStakeRao taoStake taoStakeRao
  totalStake totalStakeRao registeredAt isImmune
  identity { name url githubRepo image discord description additional }
  parents { hotkey proportion proportionRaw } children { hotkey proportion proportionRaw }
  validatorLiveness { blocksSinceLastUpdate temposSinceLastUpdate active }"""


async def test_neuron_details_as_the_raw_query(subnet2: Server) -> None:
    head = (await raw(subnet2, "{ head { number } }"))["number"]
    async with AsyncPylonClient(subnet2.url) as client:
        details = await client.neuron_details(head, where=NeuronFilter(uids=[0, 1, 2, 3, 9]))
        validators = await client.neuron_details(
            head, where={"validatorPermit": True, "updatedWithinBlocks": 10**6}, first=3
        )
    document = f"""query ($b: Int) {{ metagraph(block: $b) {{
        neurons(where: {{uids: [0, 1, 2, 3, 9]}}) {{ {DETAILS} }} }} }}"""
    assert as_json(details) == (await raw(subnet2, document, {"b": head}))["neurons"]
    assert [d.uid for d in details] == [0, 1, 2, 3, 9]
    # subnet 2's seeded links: uid 1 passes half its stake to uid 3
    assert [c.hotkey for c in details[1].children] == [details[3].hotkey]
    assert details[1].children[0].proportion == pytest.approx(0.5)
    assert details[4].validator_liveness is None  # a miner
    assert [v.uid for v in validators] == [0, 1, 2]
    assert all(v.validator_liveness is not None for v in validators)


async def test_matrices_pending_and_revealed_as_the_raw_queries(subnet2: Server) -> None:
    head = (await raw(subnet2, "{ head { number } }"))["number"]
    async with AsyncPylonClient(subnet2.url, VALIDATOR_TOKEN) as client:
        weights = await client.chain_weights(head)
        one = await client.chain_weights(head, uids=[1])
        bonds = await client.bonds(head, uids=[1, 2])
        pending = await client.pending_weight_commits(head)
        revealed = await client.revealed_commitments(block=head)
    answer = await subnet2.query(
        """query ($b: Int) { metagraph(block: $b) {
            chainWeights { uid hotkey weights { uid weight weightU16 } } } }""",
        {"b": head},
        token=VALIDATOR_TOKEN,  # the whole matrix: over the anonymous budget
    )
    matrix = answer["data"]["metagraph"]
    assert as_json(weights) == matrix["chainWeights"]
    assert as_json(one) == [row for row in matrix["chainWeights"] if row["uid"] == 1]
    assert [row.uid for row in bonds] == [1, 2] and all(row.bonds for row in bonds)
    commits = await raw(
        subnet2,
        """query ($b: Int) { pendingWeightCommits(block: $b) { block { number hash } hotkey uid
            epoch commitBlock revealRound ciphertext } }""",
        {"b": head},
    )
    assert as_json(pending) == commits
    assert {r.hotkey for r in revealed} and all(r.block.number == head for r in revealed)
    assert any(r.text == "revealed by simnet subnet 2" for r in revealed)
    mine = await AsyncPylonClient(subnet2.url).revealed_commitments(revealed[0].hotkey, block=head)
    assert mine == [r for r in revealed if r.hotkey == revealed[0].hotkey]


async def test_the_full_matrix_needs_a_token_or_uids(subnet2: Server) -> None:
    async with AsyncPylonClient(subnet2.url) as anonymous:
        with pytest.raises(QueryTooComplex, match="uids"):
            await anonymous.chain_weights()
        assert [row.uid for row in await anonymous.chain_weights(uids=[2])] == [2]
        with pytest.raises(InvalidInput, match="out of range"):
            await anonymous.bonds(uids=[100_000 % 65536])


async def test_a_commitment_written_shows_in_its_blocks_extrinsics(subnet2: Server) -> None:
    async with AsyncPylonClient(subnet2.url, VALIDATOR_TOKEN) as client:
        done = await client.set_commitment("full metagraph")
        number = done.block.number
        found = await client.extrinsics(
            number, where=ExtrinsicFilter(pallet="Commitments", signer=BOB)
        )
        events = await client.events(number, where={"pallet": "Commitments"})
        with pytest.raises(InvalidInput, match="did you mean 'Commitments'"):
            await client.extrinsics(number, where={"pallet": "Commitment"})
        assert await client.extrinsics(hash="0x" + "ab" * 32) is None
    assert found is not None and len(found) == 1
    extrinsic = found[0]
    assert (extrinsic.call, extrinsic.success, extrinsic.error) == ("set_commitment", True, None)
    assert extrinsic.args["netuid"] == 2
    assert [e.name for e in extrinsic.events] == ["Commitment", "ExtrinsicSuccess"]
    assert events is not None and [e.name for e in events] == ["Commitment"]
    assert events[0].extrinsic_index == extrinsic.index


async def test_the_blocking_client_has_them_too(subnet2: Server) -> None:
    def read() -> tuple[int, int]:
        with PylonClient(subnet2.url) as client:
            rows = client.chain_weights(uids=[0])
            extrinsics = client.extrinsics()
            return len(rows), len(extrinsics or [])

    rows, extrinsics = await asyncio.to_thread(read)
    assert rows == 1
    assert extrinsics >= 1  # the timestamp inherent at least
