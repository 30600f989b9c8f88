"""The full metagraph's reads and blocks' content: the client's methods beyond `Neuron`.

A base class of `AsyncPylonClient` (its module would pass 500 lines otherwise). Each method
runs one of the package's documents through the client's `_query`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from .api import NeuronQuery, neuron_query
from .full_models import (
    ChainBondsRow,
    ChainEvent,
    ChainWeightsRow,
    EventFilter,
    Extrinsic,
    ExtrinsicFilter,
    NeuronDetails,
    PendingWeightCommit,
    RevealedCommitment,
)
from .models import Input, NeuronFilter, NeuronOrder


def _input(value: Input | Mapping[str, Any] | None, model: type[Input]) -> dict[str, Any] | None:
    """An input object's GraphQL value, from the model or a dictionary in either naming."""
    if value is None:
        return None
    if isinstance(value, Input):
        return value.variables()
    return model.model_validate(value).variables()


class FullMetagraphReads:
    """Reads of the stake split, the matrices on chain, pending and revealed commits, and what
    a block holds."""

    async def _query(self, name: str, variables: Mapping[str, Any] | None = None) -> Any:
        raise NotImplementedError  # AsyncPylonClient's

    async def neuron_details(
        self, block: int | None = None, *, netuid: int | None = None, **query: Unpack[NeuronQuery]
    ) -> list[NeuronDetails]:
        """Each neuron's stake split (alpha, TAO, stake weight), registration block, immunity,
        owner identity, parent and child hotkeys and validator liveness, filtered and paged as
        `neurons(...)` (the server reads these only for a query that asks for them), of subnet
        `netuid` (the server's when None)."""
        query = neuron_query(query)
        value = await self._query(
            "neuron_details",
            {
                "block": block,
                "netuid": netuid,
                "where": _input(query.get("where"), NeuronFilter),
                "orderBy": _input(query.get("order_by"), NeuronOrder),
                "first": query.get("first"),
                "offset": query.get("offset", 0),
            },
        )
        return [NeuronDetails.model_validate(n) for n in value["neurons"]]

    async def chain_weights(
        self,
        block: int | None = None,
        *,
        uids: Sequence[int] | None = None,
        mechanism: int = 0,
        netuid: int | None = None,
    ) -> list[ChainWeightsRow]:
        """The weights matrix on chain: a row per validator that set weights, or the rows of
        `uids` (the whole matrix of a large subnet is several MB: an anonymous caller is held to
        `uids`); of subnet `netuid` (the server's when None)."""
        value = await self._query(
            "chain_weights", _matrix_variables(block, netuid, mechanism, uids)
        )
        return [ChainWeightsRow.model_validate(row) for row in value["chainWeights"]]

    async def bonds(
        self,
        block: int | None = None,
        *,
        uids: Sequence[int] | None = None,
        mechanism: int = 0,
        netuid: int | None = None,
    ) -> list[ChainBondsRow]:
        """The bonds matrix on chain, a row per validator that holds bonds (or those of
        `uids`); of subnet `netuid` (the server's when None)."""
        value = await self._query("bonds", _matrix_variables(block, netuid, mechanism, uids))
        return [ChainBondsRow.model_validate(row) for row in value["bonds"]]

    async def pending_weight_commits(
        self, block: int | None = None, *, netuid: int | None = None
    ) -> list[PendingWeightCommit]:
        """Timelocked weight commits the chain has not revealed yet (the server's subnet, or
        `netuid`'s)."""
        values = await self._query("pending_weight_commits", {"block": block, "netuid": netuid})
        return [PendingWeightCommit.model_validate(value) for value in values]

    async def revealed_commitments(
        self, hotkey: str | None = None, *, block: int | None = None, netuid: int | None = None
    ) -> list[RevealedCommitment]:
        """Commitments the chain revealed: `hotkey`'s, or every hotkey's (of subnet `netuid`,
        the server's when None)."""
        variables = {"hotkey": hotkey, "block": block, "netuid": netuid}
        values = await self._query("revealed_commitments", variables)
        return [RevealedCommitment.model_validate(value) for value in values]

    async def extrinsics(
        self,
        number: int | None = None,
        *,
        hash: str | None = None,
        where: ExtrinsicFilter | Mapping[str, Any] | None = None,
    ) -> list[Extrinsic] | None:
        """The extrinsics of a block (the head when neither `number` nor `hash`), decoded,
        each with its outcome and events; `where` keeps those by pallet, call, signer or
        success. None for an unknown hash."""
        value = await self._query(
            "extrinsics",
            {"number": number, "hash": hash, "where": _input(where, ExtrinsicFilter)},
        )
        if value is None:
            return None
        return [Extrinsic.model_validate(e) for e in value["extrinsics"]]

    async def events(
        self,
        number: int | None = None,
        *,
        hash: str | None = None,
        where: EventFilter | Mapping[str, Any] | None = None,
    ) -> list[ChainEvent] | None:
        """The events of a block (`System.Events`), decoded; None for an unknown hash."""
        value = await self._query(
            "events", {"number": number, "hash": hash, "where": _input(where, EventFilter)}
        )
        if value is None:
            return None
        return [ChainEvent.model_validate(e) for e in value["events"]]


def _matrix_variables(
    block: int | None, netuid: int | None, mechanism: int, uids: Sequence[int] | None
) -> dict[str, Any]:
    return {
        "block": block,
        "netuid": netuid,
        "mechanism": mechanism,
        "uids": None if uids is None else list(uids),
    }
