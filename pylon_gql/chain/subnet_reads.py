"""Subnets at a block: `get_all_dynamic_info` (identity, owner, tempo, pool, price, emission)
and, in one batch of storage keys, each subnet's neuron count, its maximum and its registration
burn (`SubnetworkN`, `MaxAllowedUids`, `Burn`); one subnet the same way, from
`get_dynamic_info(netuid)` and its own three keys (read together)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from scalecodec.utils.ss58 import ss58_encode
from turbobt import Bittensor

from ..models import BlockRef
from ..models_subnets import SubnetOverview
from .errors import SubnetNotFound
from .runtime_types import loaded_runtime_types
from .storage_reads import values_at

T = TypeVar("T")

#: The storage items read per subnet beside the dynamic info, by the field they fill.
_COUNTS = {
    "neuron_count": "SubnetworkN",
    "max_neurons": "MaxAllowedUids",
    "burn_rao": "Burn",
}


class SubnetReads:
    """Reads of subnets at a block (a base class of `ChainClient`)."""

    async def _at(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T:
        raise NotImplementedError  # ChainClient's

    async def subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]:
        """Every subnet at the block, by netuid."""

        raw: Any = await self._at(
            "all_dynamic_info",
            lambda bt: bt.subtensor.api_call(
                "SubnetInfoRuntimeApi", "get_all_dynamic_info", block_hash=ref.hash
            ),
        )
        infos = [info for info in raw or () if info]
        netuids = [int(info["netuid"]) for info in infos]
        # a call of its own, retried on its own: one retry unit of two calls fails more often
        counts = await self._at("subnet_counts", lambda bt: _counts(bt, netuids, ref))
        overviews = (overview_from_raw(info, counts, ref) for info in infos)
        return tuple(sorted(overviews, key=lambda s: s.netuid))

    async def subnet(self, netuid: int, ref: BlockRef) -> SubnetOverview:
        """One subnet at the block, as `subnets` has it; SubnetNotFound when it does not exist
        there. The storage keys depend on the netuid alone: read beside the dynamic info."""

        # side by side, each retried on its own (as one retry unit, a node that fails 30% of
        # calls would fail the pair half the time)
        async def info(bt: Bittensor) -> Any:
            return await bt.subtensor.api_call(
                "SubnetInfoRuntimeApi", "get_dynamic_info", netuid=netuid, block_hash=ref.hash
            )

        raw, counts = await asyncio.gather(
            self._at("dynamic_info", info),
            self._at("subnet_counts", lambda bt: _counts(bt, [netuid], ref)),
        )
        if not raw:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
        return overview_from_raw(raw, counts, ref)


async def _counts(
    bt: Bittensor, netuids: Iterable[int], ref: BlockRef
) -> dict[tuple[str, int], int]:
    """`_COUNTS`' values of the subnets at the block, by (field, netuid); unset ones left out."""
    types = await loaded_runtime_types(bt)
    items = {field: types.storage("SubtensorModule", name) for field, name in _COUNTS.items()}
    keys = {
        (field, netuid): item.key(netuid) for field, item in items.items() for netuid in netuids
    }
    values = await values_at(bt, list(keys.values()), ref.hash)
    counts: dict[tuple[str, int], int] = {}
    for (field, netuid), key in keys.items():
        found = values.get(key.lower())
        if found is not None:
            counts[field, netuid] = int(items[field].value(found))
    return counts


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return bytes(value).decode("utf-8", errors="replace")


def _account(value: Any) -> str:
    if isinstance(value, str) and not value.startswith("0x"):
        return value  # already SS58
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    return ss58_encode(raw, 42)


def _fixed(value: Any) -> float:
    """A fixed-point number with 32 fractional bits ({"bits": n}) as a float."""
    bits = value["bits"] if isinstance(value, dict) else value
    return int(bits) / 2**32


def overview_from_raw(
    info: dict[str, Any], counts: dict[tuple[str, int], int], ref: BlockRef
) -> SubnetOverview:
    netuid = int(info["netuid"])
    return SubnetOverview(
        netuid=netuid,
        block=ref,
        name=_text(info["subnet_name"]),
        symbol=_text(info["token_symbol"]),
        owner_hotkey=_account(info["owner_hotkey"]),
        owner_coldkey=_account(info["owner_coldkey"]),
        tempo=int(info["tempo"]),
        registered_at=int(info["network_registered_at"]),
        last_step=int(info["last_step"]),
        blocks_since_last_step=int(info["blocks_since_last_step"]),
        neuron_count=counts.get(("neuron_count", netuid), 0),
        max_neurons=counts.get(("max_neurons", netuid)),
        burn_rao=counts.get(("burn_rao", netuid), 0),
        alpha_in_rao=int(info["alpha_in"]),
        alpha_out_rao=int(info["alpha_out"]),
        tao_in_rao=int(info["tao_in"]),
        emission_rao=int(info["emission"]),
        tao_in_emission_rao=int(info["tao_in_emission"]),
        alpha_in_emission_rao=int(info["alpha_in_emission"]),
        alpha_out_emission_rao=int(info["alpha_out_emission"]),
        moving_price=_fixed(info["moving_price"]),
        volume_rao=int(info["subnet_volume"]),
    )
