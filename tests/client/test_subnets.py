"""The client's `subnets(...)` returns what the raw GraphQL query returns, filtered and
ordered, through the async and the blocking client."""

from __future__ import annotations

import asyncio

from pylon_gql_client import (
    AsyncPylonClient,
    PylonClient,
    SubnetFilter,
    SubnetInfo,
    SubnetOrder,
    SubnetOrderField,
)

from .conftest import Server
from .test_queries import as_json, raw

FIELDS = """block { number hash } netuid name symbol ownerHotkey ownerColdkey tempo registeredAt
  lastStep blocksSinceLastStep neuronCount maxNeurons burn burnRao alphaIn alphaInRao alphaOut
  alphaOutRao taoIn taoInRao price movingPrice emission emissionRao taoInEmissionRao
  alphaInEmissionRao alphaOutEmissionRao volumeRao epoch { block { number hash } netuid tempo
  index start end blocksRemaining commitWindow { start end open } forBlock predicted }"""


async def test_subnets_as_the_raw_query(client: AsyncPylonClient, server: Server) -> None:
    head = await client.head()
    typed = await client.subnets(head.number)
    answer = await raw(
        server, f"query ($b: Int) {{ subnets(block: $b) {{ {FIELDS} }} }}", {"b": head.number}
    )
    assert as_json(typed) == answer
    assert [s.netuid for s in typed] == sorted(s.netuid for s in typed)
    assert len(typed) >= 2
    by_price = await client.subnets(
        head.number,
        order_by=SubnetOrder(field=SubnetOrderField.PRICE, direction="DESC"),  # type: ignore[arg-type]
    )
    assert [s.netuid for s in by_price] == [
        s.netuid for s in sorted(typed, key=lambda s: (-s.price, s.netuid))
    ]
    two = await client.subnets(head.number, where=SubnetFilter(netuids=[2]))
    assert [s.netuid for s in two] == [2]
    assert await client.subnets(head.number, where={"minNeurons": 1000}) == [
        s for s in typed if s.neuron_count >= 1000
    ]


async def test_the_blocking_client_lists_subnets(server: Server) -> None:
    def blocking() -> list[SubnetInfo]:
        with PylonClient(server.url) as client:
            return client.subnets()

    subnets = await asyncio.to_thread(blocking)
    assert {1, 2} <= {s.netuid for s in subnets}


async def test_history_as_single_metagraphs(client: AsyncPylonClient, server: Server) -> None:
    simnet = server.simnet
    start = simnet.finalized_number
    while simnet.finalized_number < start + 6:
        await simnet.produce_blocks(1)
    await server.wait_for_head(start + 6)
    series = await client.history(
        start + 1, start + 6, step=2, netuid=2, where={"uids": [0, 1]}, first=2
    )
    assert [m.block.number for m in series] == [start + 1, start + 3, start + 5]
    for point in series:
        single = await client.metagraph(point.block.number, where={"uids": [0, 1]})
        assert point.netuid == 2 and single.netuid == 1
        assert [n.uid for n in point.neurons] == [0, 1]
        assert point.neuron_count != single.neuron_count  # subnet 2's, not the served one's
    served = await client.history(start + 1, start + 1)
    single = await client.metagraph(start + 1)
    assert served == [single]
