"""The full-metagraph reads of another subnet than the served one (`netuid=2` on a server of
subnet 1) return what the raw GraphQL queries of subnet 2 return."""

from __future__ import annotations

import asyncio

from pylon_gql_client import AsyncPylonClient, PylonClient

from .conftest import Server
from .test_queries import as_json, raw


async def test_the_full_reads_of_subnet_2_on_a_server_of_subnet_1(server: Server) -> None:
    head = (await raw(server, "{ head { number } }"))["number"]
    async with AsyncPylonClient(server.url) as client:
        details = await client.neuron_details(head, netuid=2, where={"uids": [0, 1]})
        served = await client.neuron_details(head, where={"uids": [0, 1]})
        weights = await client.chain_weights(head, netuid=2, uids=[0, 1])
        bonds = await client.bonds(head, netuid=2, uids=[0, 1])
        revealed = await client.revealed_commitments(block=head, netuid=2)
        pending = await client.pending_weight_commits(head, netuid=2)
    answer = await raw(
        server,
        """query ($b: Int) { metagraph(block: $b, netuid: 2) {
            neurons(where: {uids: [0, 1]}) { uid hotkey alphaStake registeredAt }
            chainWeights(uids: [0, 1]) { uid hotkey weights { uid weight weightU16 } }
            bonds(uids: [0, 1]) { uid hotkey bonds { uid bond bondU16 } } } }""",
        {"b": head},
    )
    assert [(d.uid, d.hotkey, d.alpha_stake, d.registered_at) for d in details] == [
        (n["uid"], n["hotkey"], n["alphaStake"], n["registeredAt"]) for n in answer["neurons"]
    ]
    assert [d.hotkey for d in details] != [d.hotkey for d in served]
    assert weights and bonds
    assert as_json(weights) == answer["chainWeights"]
    assert as_json(bonds) == answer["bonds"]
    assert any(r.text == "revealed by simnet subnet 2" for r in revealed)
    assert all(p.block.number == head for p in pending)

    def blocking() -> list[str]:
        with PylonClient(server.url) as client:
            return [d.hotkey for d in client.neuron_details(head, netuid=2, first=2)]

    assert await asyncio.to_thread(blocking) == [d.hotkey for d in details]
