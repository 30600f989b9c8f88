"""The client's cursor paging (`neuron_page`, `iter_neurons`) against the server on the simnet
and against the fake: the pages concatenate to the list `neurons(...)` returns, with its total."""

from __future__ import annotations

import asyncio

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    InvalidInput,
    NeuronFilter,
    NeuronOrder,
    NeuronPage,
    NotFound,
    PylonClient,
)
from pylon_gql_client.testing.fake import FakeAsyncPylonClient

from .conftest import Server

ORDER = NeuronOrder(field="STAKE", direction="DESC")  # type: ignore[arg-type]
WHERE = NeuronFilter(min_stake=0.000001)


@pytest.fixture(params=["server", "fake"])
async def paging(request: pytest.FixtureRequest, client: AsyncPylonClient):
    if request.param == "server":
        yield client
    else:
        async with FakeAsyncPylonClient() as fake:
            yield fake


async def test_pages_concatenate_to_the_list_with_its_total(paging) -> None:
    head = (await paging.head()).number
    whole = await paging.neurons(head, where=WHERE, order_by=ORDER)
    assert len(whole) > 10
    first = await paging.neuron_page(head, where=WHERE, order_by=ORDER, first=7)
    assert first.total_count == len(whole)
    assert first.page_info.has_next_page
    pages = [first.neurons]
    page = first
    while page.page_info.has_next_page:
        page = await paging.neuron_page(
            head, where=WHERE, order_by=ORDER, first=7, after=page.page_info.end_cursor
        )
        assert page.total_count == len(whole)
        pages.append(page.neurons)
    assert [n for p in pages for n in p] == whole
    walked = [n async for n in paging.iter_neurons(head, where=WHERE, order_by=ORDER, page_size=9)]
    assert walked == whole
    skipped = await paging.neuron_page(head, where=WHERE, order_by=ORDER, first=3, offset=4)
    assert skipped.neurons == whole[4:7]


async def test_a_foreign_cursor_and_an_absent_subnet_are_refused(paging) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        await paging.neuron_page(first=3, after="nonsense")
    with pytest.raises(NotFound, match="subnet 77"):
        await paging.neuron_page(netuid=77, first=3)


async def test_the_blocking_client_pages_too(server: Server) -> None:
    def blocking() -> NeuronPage:
        with PylonClient(server.url) as client:
            return client.neuron_page(first=2)

    page = await asyncio.to_thread(blocking)  # PylonClient runs its own loop, in a thread
    assert len(page.neurons) == 2
    assert page.total_count == 1024
    assert page.page_info.end_cursor is not None
