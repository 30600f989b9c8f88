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
