"""What the async client and its fake share: `async with`, and the neuron lists.

`metagraph(...)` and `neurons(fields=...)` are typed here once (overloads on the names asked
for, see `partial`); each side answers `_metagraph` and `_neurons`, the client over HTTP, the
fake from its data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Collection, Mapping
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack, overload

from .models import Metagraph, Neuron, NeuronFilter, NeuronOrder
from .partial import Chosen, FieldNames, NeuronField, PartialNeuron, attributes


class NeuronQuery(TypedDict, total=False):
    """Which neurons a list holds: `where` (a filter), `order_by`, then a page (`first`
    neurons from `offset`)."""

    where: NeuronFilter | Mapping[str, Any] | None
    order_by: NeuronOrder | Mapping[str, Any] | None
    first: int | None
    offset: int


def neuron_query(query: NeuronQuery) -> NeuronQuery:
    """`query` with every argument, the defaults filled in."""
    return {"where": None, "order_by": None, "first": None, "offset": 0, **query}


class AsyncApi(ABC):
    """The part of `AsyncPylonClient`'s API that its fake does not write again."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abstractmethod
    async def close(self) -> None: ...

    async def metagraph(
        self, block: int | None = None, *, netuid: int | None = None, **query: Unpack[NeuronQuery]
    ) -> Metagraph:
        """Subnet `netuid`'s neurons (the server's subnet, PYLON_NETUID, when None) at `block`
        (the head when None), filtered (`where`), ordered (`order_by`) and paged (`first` from
        `offset`). A subnet that does not exist at the block is `NotFound`."""
        return await self._metagraph(block, netuid, **neuron_query(query))

    @abstractmethod
    def _metagraph(
        self, block: int | None, netuid: int | None, **query: Unpack[NeuronQuery]
    ) -> Awaitable[Metagraph]:
        """The metagraph `metagraph` asks for (every argument of `query` given)."""

    @overload
    async def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron]: ...

    @overload
    async def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: FieldNames[Chosen],
        **query: Unpack[NeuronQuery],
    ) -> list[PartialNeuron[Chosen]]: ...

    @overload
    async def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: Collection[NeuronField],
        **query: Unpack[NeuronQuery],
    ) -> list[PartialNeuron[NeuronField]]: ...

    async def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: Collection[NeuronField] | None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron] | list[PartialNeuron[Any]]:
        """The neurons of `metagraph(...)`. With `fields` (names in either spelling:
        `["hotkey", "validatorTrust"]`) only those are asked for, and `PartialNeuron`s come
        back, typed by the names given: `neuron.hotkey` is a `str`, a field not asked for is a
        type error (and an AttributeError). `uid` and `block` are always there."""
        if fields is not None:
            attributes(fields)  # refuses what is no field before anything is sent
        return await self._neurons(block, netuid, fields, **neuron_query(query))

    @abstractmethod
    def _neurons(
        self,
        block: int | None,
        netuid: int | None,
        fields: Collection[str] | None,
        **query: Unpack[NeuronQuery],
    ) -> Awaitable[list[Neuron] | list[PartialNeuron[Any]]]:
        """The list `neurons` asks for (`fields` checked: known names, not one string; every
        argument of `query` given)."""
