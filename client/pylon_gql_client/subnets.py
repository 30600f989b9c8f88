"""`subnets(...)`: every subnet at a block, and `history(...)`: a subnet's metagraph over a
range of blocks (a base class of `AsyncPylonClient`, as `full_reads` is)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .full_reads import _input
from .models import Metagraph, NeuronFilter, NeuronOrder, Subnet
from .subnet_models import SubnetFilter, SubnetOrder


class SubnetReads:
    """Reads across subnets and blocks."""

    async def _query(self, name: str, variables: Mapping[str, Any] | None = None) -> Any:
        raise NotImplementedError  # AsyncPylonClient's

    async def subnets(
        self,
        block: int | None = None,
        *,
        where: SubnetFilter | Mapping[str, Any] | None = None,
        order_by: SubnetOrder | Mapping[str, Any] | None = None,
    ) -> list[Subnet]:
        """Every subnet at `block` (the head when None) with its dynamic info, as `subnet()`
        answers one, filtered (`where`) and ordered (`order_by`, netuid ascending by
        default)."""
        value = await self._query(
            "subnets",
            {
                "block": block,
                "where": _input(where, SubnetFilter),
                "orderBy": _input(order_by, SubnetOrder),
            },
        )
        return [Subnet.model_validate(subnet) for subnet in value]

    async def history(
        self,
        from_block: int,
        to_block: int,
        *,
        step: int = 1,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
    ) -> list[Metagraph]:
        """Subnet `netuid`'s metagraph (the server's subnet when None) at `from_block`,
        `from_block + step`, ... up to `to_block` (at most the server's
        PYLON_MAX_HISTORY_POINTS points), each with its neurons filtered, ordered and cut to
        `first` as `metagraph(...)`'s: a chart's series."""
        value = await self._query(
            "history",
            {
                "netuid": netuid,
                "from": from_block,
                "to": to_block,
                "step": step,
                "where": _input(where, NeuronFilter),
                "orderBy": _input(order_by, NeuronOrder),
                "first": first,
            },
        )
        return [Metagraph.model_validate(point) for point in value]
