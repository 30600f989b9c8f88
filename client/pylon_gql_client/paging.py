"""Cursor paging of neuron lists: `neuron_page(...)` and `iter_neurons(...)`.

A base class of `AsyncPylonClient`, as `full_reads` is. A cursor belongs to the list at one
block: `iter_neurons` pins the block of its first page, so the pages it walks concatenate to
the list at that block however the chain moves meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from .full_reads import _input
from .models import Neuron, NeuronFilter, NeuronOrder, NeuronPage


class NeuronPaging:
    """Pages of a subnet's neurons, with the filtered list's total."""

    async def _query(self, name: str, variables: Mapping[str, Any] | None = None) -> Any:
        raise NotImplementedError  # AsyncPylonClient's

    async def neuron_page(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        after: str | None = None,
        offset: int = 0,
    ) -> NeuronPage:
        """The neurons of subnet `netuid` (the server's when None) at `block` (the head when
        None), filtered and ordered, from after the cursor `after` (a page's
        `page_info.end_cursor`, asked again at the same block) and `offset` more, at most
        `first`; with `total_count`, the filtered list's length."""
        value = await self._query(
            "neuron_page",
            {
                "block": block,
                "netuid": netuid,
                "where": _input(where, NeuronFilter),
                "orderBy": _input(order_by, NeuronOrder),
                "first": first,
                "after": after,
                "offset": offset,
            },
        )
        return NeuronPage.model_validate(value["neuronPage"])

    async def iter_neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        page_size: int | None = None,
    ) -> AsyncGenerator[Neuron]:
        """Every neuron the filter keeps, in order, page by page (`page_size` each, the
        server's page size when None), all at one block: the head's when `block` is None."""
        after: str | None = None
        while True:
            page = await self.neuron_page(
                block,
                netuid=netuid,
                where=where,
                order_by=order_by,
                first=page_size,
                after=after,
            )
            for neuron in page.neurons:
                yield neuron
            if not page.page_info.has_next_page or not page.neurons:
                return
            block = page.neurons[0].block.number  # the next pages at the first page's block
            after = page.page_info.end_cursor
