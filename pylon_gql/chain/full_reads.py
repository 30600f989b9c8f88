"""The full metagraph's reads of `ChainClient`: what `get_neurons_lite` leaves out, and what
a block holds.

A base class of `ChainClient` (its module would pass 500 lines otherwise): each read goes
through the client's `_at` (explicit block hash, retries, the archive node for pruned blocks,
metrics) and decodes with `pylon_gql.scale` off the event loop where the answer is large.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from scalecodec.utils.ss58 import ss58_decode
from turbobt import Bittensor

from ..models import BlockRef
from ..models_block import BlockContent
from ..models_metagraph import (
    ChainMatrix,
    MatrixKind,
    Mechanisms,
    NeuronStakes,
    PendingWeightCommit,
    RevealedCommitment,
    StakeLinks,
)
from . import _internals
from .blocks_content import BlockDecoder
from .commits import pending_from_values, revealed_from_values
from .errors import BlockNotFound, SubnetNotFound
from .neuron_stakes import column_indexes, links_from_scale, stakes_from_scale
from .runtime_types import loaded_runtime_types
from .storage_reads import entries_under, value_at, values_at
from .weights_matrix import matrix_from_values, row_keys, storage_index

T = TypeVar("T")

#: Rows above this are decoded in a worker thread (a subnet's full matrix: 65,000 entries).
_THREAD_ABOVE = 64


class FullMetagraphReads:
    """Reads of a subnet's full metagraph and of blocks' content, at an explicit block."""

    _bt: Bittensor

    async def _at(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T:
        raise NotImplementedError  # ChainClient's

    async def neuron_stakes(self, netuid: int, ref: BlockRef) -> NeuronStakes:
        """Every neuron's stake split, registration block and owner identity (one
        `get_selective_metagraph` call); `SubnetNotFound` when the subnet does not exist."""

        async def read(bt: Bittensor) -> NeuronStakes | None:
            types = await loaded_runtime_types(bt)
            api = types.api_method("SubnetInfoRuntimeApi", "get_selective_metagraph")
            indexes = column_indexes(types, api["output"])
            answer, output = await _internals.runtime_call_bytes(
                bt,
                "SubnetInfoRuntimeApi",
                "get_selective_metagraph",
                ref.hash,
                netuid=netuid,
                metagraph_indexes=indexes,
            )
            if answer is None:
                return None
            decoded = await asyncio.to_thread(types.codec.decode, output, answer)
            if decoded is None:
                return None
            return stakes_from_scale(netuid, ref, decoded)

        found = await self._at("neuron_stakes", read)
        if found is None:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
        return found

    async def stake_links(self, netuid: int, hotkeys: Sequence[str], ref: BlockRef) -> StakeLinks:
        """The parents and children (`ParentKeys`, `ChildKeys`) of `hotkeys` on the subnet."""
        accounts = [bytes.fromhex(ss58_decode(hotkey)) for hotkey in hotkeys]

        async def read(bt: Bittensor) -> StakeLinks:
            types = await loaded_runtime_types(bt)
            parents_item = types.storage("SubtensorModule", "ParentKeys")
            children_item = types.storage("SubtensorModule", "ChildKeys")
            parent_keys = {parents_item.key(a, netuid): a for a in accounts}
            child_keys = {children_item.key(a, netuid): a for a in accounts}
            values = await values_at(bt, [*parent_keys, *child_keys], ref.hash)
            parents = {
                parent_keys[k]: parents_item.value(v) for k, v in values.items() if k in parent_keys
            }
            children = {
                child_keys[k]: children_item.value(v) for k, v in values.items() if k in child_keys
            }
            links = links_from_scale(parents, children)
            return StakeLinks(netuid=netuid, block=ref, by_hotkey=links)

        return await self._at("stake_links", read)

    async def chain_matrix(
        self, netuid: int, kind: MatrixKind, size: int, ref: BlockRef, mechanism: int = 0
    ) -> ChainMatrix:
        """The rows of `Weights` or `Bonds` of uids 0..size-1 of the subnet's mechanism."""

        async def read(bt: Bittensor) -> ChainMatrix:
            types = await loaded_runtime_types(bt)
            item = types.storage("SubtensorModule", kind.value)
            keys = row_keys(item, netuid, mechanism, range(size))
            values = await values_at(bt, keys, ref.hash)

            def decode() -> ChainMatrix:
                return matrix_from_values(item, netuid, mechanism, kind, ref, values)

            if len(values) > _THREAD_ABOVE:
                return await asyncio.to_thread(decode)
            return decode()

        return await self._at(kind.value.lower(), read)

    async def mechanisms(self, netuid: int, ref: BlockRef) -> Mechanisms:
        """The subnet's mechanism count and emission split (`MechanismCountCurrent`, whose
        unset value is the chain's default 1, and `MechanismEmissionSplit`)."""

        async def read(bt: Bittensor) -> Mechanisms:
            types = await loaded_runtime_types(bt)
            count_item = types.storage("SubtensorModule", "MechanismCountCurrent")
            split_item = types.storage("SubtensorModule", "MechanismEmissionSplit")
            count_key, split_key = count_item.key(netuid), split_item.key(netuid)
            values = await values_at(bt, [count_key, split_key], ref.hash)
            count = values.get(count_key)
            split = values.get(split_key)
            return Mechanisms(
                netuid=netuid,
                block=ref,
                count=1 if count is None else int(count_item.value(count)),
                split=None if split is None else tuple(int(v) for v in split_item.value(split)),
            )

        return await self._at("mechanisms", read)

    async def pending_weight_commits(
        self, netuid: int, ref: BlockRef, mechanism: int = 0
    ) -> tuple[PendingWeightCommit, ...]:
        """The subnet's timelocked weight commits not revealed yet, every epoch's."""

        async def read(bt: Bittensor) -> tuple[PendingWeightCommit, ...]:
            types = await loaded_runtime_types(bt)
            item = types.storage("SubtensorModule", "TimelockedWeightCommits")
            values = await entries_under(bt, item.key(storage_index(netuid, mechanism)), ref.hash)
            return pending_from_values(item, values)

        return await self._at("pending_weight_commits", read)

    async def revealed_commitments(
        self, netuid: int, ref: BlockRef, hotkey: str | None = None
    ) -> tuple[RevealedCommitment, ...]:
        """What the chain revealed of the subnet's timelocked commitments: `hotkey`'s, or
        every hotkey's."""

        async def read(bt: Bittensor) -> tuple[RevealedCommitment, ...]:
            types = await loaded_runtime_types(bt)
            item = types.storage("Commitments", "RevealedCommitments")
            if hotkey is None:
                values = await entries_under(bt, item.key(netuid), ref.hash)
            else:
                key = item.key(netuid, bytes.fromhex(ss58_decode(hotkey)))
                value = await value_at(bt, key, ref.hash)
                values = {} if value is None else {key: value}
            return revealed_from_values(item, values)

        return await self._at("revealed_commitments", read)

    async def block_content(self, ref: BlockRef) -> BlockContent:
        """The block's extrinsics and events, decoded."""

        async def read(bt: Bittensor) -> BlockContent:
            decoder = BlockDecoder.of(await loaded_runtime_types(bt))
            answer: Any = await bt.subtensor.rpc("chain_getBlock", {"hash": ref.hash})
            if not answer:
                raise BlockNotFound(f"no block {ref.hash}")
            body = [
                bytes.fromhex(str(raw).removeprefix("0x")) for raw in answer["block"]["extrinsics"]
            ]
            events = await value_at(bt, decoder.events_key, ref.hash)
            return await asyncio.to_thread(decoder.content, ref, body, events)

        return await self._at("block_content", read)
