"""Subscriptions of another subnet than the served one (`netuid:`), over websockets on the
simnet: server A serves subnet 2 (its change watcher publishes the events), server B serves
subnet 1 on the same node and follows subnet 2 per subscriber; both see the same epochs and
registrations."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from gql.client import AsyncClientSession

from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, running, settings_for, wait_for_health
from .test_subscriptions import finalize, session

pytestmark = pytest.mark.timeout(300)

OWNER = "owner-secret-for-subnet-2"
EPOCHS = (
    "subscription ($n: Int) { newEpoch(netuid: $n) { netuid index start tempo block { number } } }"
)
REGISTRATIONS = """subscription ($n: Int) { neuronRegistrations(netuid: $n) {
  block { number } uid hotkey change } }"""


async def collect(
    client: AsyncClientSession, document: str, into: list, variables: dict[str, Any]
) -> None:
    stream = client.subscribe(GraphQLRequest(document, variable_values=variables))
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        async for result in stream:
            into.append(next(iter(result.values())))  # type: ignore[union-attr]


def head_of(services: Services) -> int:
    head = services.reader.head
    return -1 if head is None else head.number


async def test_another_subnets_events_equal_its_served_servers(tmp_path) -> None:
    a_settings = settings_for(
        network="sim", netuid=2, data_dir=tmp_path / "a", owner_tokens=OWNER, auto_commit=False
    )
    config = SimnetConfig(port=0, manual=True, auto_produce_on_submit=True)
    a = Services(a_settings, simnet_config=config)
    async with (
        running(a_settings, a) as a_url,
        httpx.AsyncClient(base_url=a_url, timeout=PATIENCE) as a_http,
    ):
        await wait_for_health(a_http)
        simnet = a.simnet
        assert simnet is not None
        done = await a_http.post(
            "/graphql",
            json={
                "query": 'mutation { setHyperparameter(name: "tempo", value: 9) { __typename } }'
            },
            headers={"authorization": f"Bearer {OWNER}"},
        )
        assert "Success" in done.text, done.text
        b_settings = settings_for(network=simnet.url, netuid=1, data_dir=tmp_path / "b")
        b = Services(b_settings)
        async with (
            running(b_settings, b) as b_url,
            httpx.AsyncClient(base_url=b_url, timeout=PATIENCE) as b_http,
        ):
            await wait_for_health(b_http)
            # a subnet that does not exist is NOT_FOUND at once
            async with session(b_url.replace("http", "ws") + "/graphql") as client:
                with pytest.raises(Exception, match="subnet 77"):
                    await collect(client, EPOCHS, [], {"n": 77})
            seen: dict[str, dict[str, list]] = {
                side: {"epochs": [], "registrations": []} for side in ("a", "b")
            }
            async with (
                session(a_url.replace("http", "ws") + "/graphql") as a_ws,
                session(b_url.replace("http", "ws") + "/graphql") as b_ws,
            ):
                tasks = [
                    asyncio.create_task(collect(ws, doc, seen[side][kind], {"n": 2}))
                    for side, ws in (("a", a_ws), ("b", b_ws))
                    for kind, doc in (("epochs", EPOCHS), ("registrations", REGISTRATIONS))
                ]
                try:
                    await asyncio.sleep(0.5)  # the four subscriptions are in place
                    async with asyncio.timeout(PATIENCE * 2):
                        while len(seen["b"]["epochs"]) < 3 or not seen["b"]["registrations"]:
                            number = await finalize(simnet, 1)
                            while head_of(a) < number or head_of(b) < number:  # noqa: ASYNC110
                                await asyncio.sleep(0.02)
                        await asyncio.sleep(0.5)  # the last events reach both
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
            await b.stop()
    a_epochs, b_epochs = seen["a"]["epochs"], seen["b"]["epochs"]
    assert all(e["netuid"] == 2 and e["tempo"] == 9 for e in b_epochs)
    # every epoch B saw, A's watcher announced at the same block
    assert b_epochs[1:] and all(e in a_epochs for e in b_epochs[1:]), (a_epochs, b_epochs)
    second, third = b_epochs[1:3]
    assert third["index"] == second["index"] + 1 and third["start"] == second["start"] + 10
    registered = seen["b"]["registrations"]
    assert registered and all(r in seen["a"]["registrations"] for r in registered)
