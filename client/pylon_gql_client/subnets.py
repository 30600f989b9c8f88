"""`subnets(...)`: every subnet at a block (a base class of `AsyncPylonClient`, as `full_reads`
is)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .full_reads import _input
from .subnet_models import SubnetFilter, SubnetInfo, SubnetOrder


class SubnetReads:
    """Reads of every subnet at a block."""

    async def _query(self, name: str, variables: Mapping[str, Any] | None = None) -> Any:
        raise NotImplementedError  # AsyncPylonClient's

    async def subnets(
        self,
        block: int | None = None,
        *,
        where: SubnetFilter | Mapping[str, Any] | None = None,
        order_by: SubnetOrder | Mapping[str, Any] | None = None,
    ) -> list[SubnetInfo]:
        """Every subnet at `block` (the head when None) with its dynamic info, filtered
        (`where`) and ordered (`order_by`, netuid ascending by default)."""
        value = await self._query(
            "subnets",
            {
                "block": block,
                "where": _input(where, SubnetFilter),
                "orderBy": _input(order_by, SubnetOrder),
            },
        )
        return [SubnetInfo.model_validate(subnet) for subnet in value]
