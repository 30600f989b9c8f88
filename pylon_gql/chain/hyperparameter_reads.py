"""The hyperparameter reads of `ChainClient`: the runtime's answer, every field of it kept as
the metadata types it (`hyperparameter_fields`), and a subnet's storage item read as a
hyperparameter (`hyperparameter_storage`).

A base class of `ChainClient`, as `SubnetReads` and `FullMetagraphReads` are: each read goes
through the client's `_at` (explicit block hash, retries, the archive node, metrics).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from turbobt import Bittensor

from ..models import BlockRef, Hyperparameters
from . import _internals
from .errors import SubnetNotFound
from .hyperparameter_fields import HyperparameterAnswer
from .hyperparameter_storage import storage_value
from .runtime_types import loaded_runtime_types, runtime_types

T = TypeVar("T")


class HyperparameterReads:
    """A subnet's hyperparameters at an explicit block."""

    async def _at(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T:
        raise NotImplementedError  # ChainClient's

    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters:
        """`get_subnet_hyperparams_v2` (v1's fields and the later ones), every field of its
        answer kept; `SubnetNotFound` when the subnet does not exist at the block."""

        async def read(bt: Bittensor) -> Hyperparameters | None:
            answer, output = await _internals.runtime_call_bytes(
                bt, "SubnetInfoRuntimeApi", "get_subnet_hyperparams_v2", ref.hash, netuid=netuid
            )
            if answer is None:
                return None
            types = runtime_types(bt)
            return types.made(
                "hyperparameters_v2", lambda t: HyperparameterAnswer(t.codec, output)
            ).read(answer)

        found = await self._at("hyperparameters", read)
        if found is None:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
        return found

    async def subnet_storage(self, item: str, netuid: int, ref: BlockRef) -> tuple[str, Any] | None:
        """`SubtensorModule.<item>` of the subnet at the block, decoded as the metadata types it
        (an unset key reads as the item's default, as on a node): its type name and its value as
        JSON; None when the runtime has no such item keyed by netuid alone."""

        async def read(bt: Bittensor) -> tuple[str, Any] | None:
            types = await loaded_runtime_types(bt)
            return await storage_value(bt, types, item, netuid, ref.hash)

        return await self._at("subnet_storage", read)
