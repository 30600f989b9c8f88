"""The metagraph's GraphQL types: neurons, their endpoints, and how a neuron list is filtered
and ordered.

The chain keeps scores (rank, trust, ...) as u16 proportions (0..65535); a neuron answers them
normalised to [0, 1] (value / 65535). Stake and emission are in the subnet's token: its alpha on
chains with dynamic TAO (finney), TAO before; 1 token = 10^9 rao.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry

from .. import models
from ..models_metagraph import MatrixKind
from .arguments import check_keys, check_list
from .chain_matrix import ChainBondsRow, ChainWeightsRow, matrix_rows
from .context import Info
from .errors import BadUserInput
from .mechanisms import SubnetMechanisms, read_mechanisms
from .neuron_details import (
    Identity,
    StakeLinkInfo,
    ValidatorLiveness,
    fill_details,
    selected_names,
)
from .neuron_lists import NeuronFilter, NeuronOrder, select_neurons
from .paging import PageInfo, cursor, list_key, names_under, start_after
from .types import BigInt, BlockRef

#: The default of the fields set only when selected (`neuron_details.fill_details`): a
#: selected field left unset is a null where the schema promises a value, which graphql-core
#: reports, rather than a made-up value.
UNSET: Any = None

_NORMALISED = "Normalised to [0, 1] (the chain's u16 / 65535)"


@strawberry.type(description="Where a neuron serves requests (all zero until it serves one).")
class Axon:
    ip: str = strawberry.field(description="IPv4 or IPv6 address, as text.")
    port: int = strawberry.field(description="TCP port.")
    ip_type: int = strawberry.field(description="4 or 6.")
    protocol: int = strawberry.field(description="Protocol number, as the neuron announced it.")
    version: int = strawberry.field(
        description="Version of the software serving, as the neuron announced it."
    )
    block: int = strawberry.field(description="Block at which the axon was last served.")


@strawberry.type(description="Where a neuron serves its prometheus metrics (all zero if never).")
class PrometheusEndpoint:
    ip: str = strawberry.field(description="IPv4 or IPv6 address, as text.")
    port: int = strawberry.field(description="TCP port.")
    ip_type: int = strawberry.field(description="4 or 6.")
    version: int = strawberry.field(description="Version, as the neuron announced it.")
    block: int = strawberry.field(description="Block at which the endpoint was last served.")


@strawberry.type(
    description=(
        "A neuron of the subnet at one block, as `get_neurons_lite` returns it. Scores "
        "(rank, trust, consensus, incentive, validatorTrust, dividends) are normalised to "
        "[0, 1] from the chain's u16 (value / 65535) and change only when the subnet's epoch "
        "runs. Stake and emission are in the subnet's token (its alpha on chains with dynamic "
        "TAO, such as finney; TAO before) as Float, and in rao (10^-9 token) as BigInt."
    )
)
class Neuron:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    uid: int = strawberry.field(
        description="The neuron's slot in the subnet, 0 to neuronCount - 1; reused when a "
        "new hotkey takes the slot."
    )
    hotkey: str = strawberry.field(
        description="SS58 address of the key the neuron signs with (unique in the subnet)."
    )
    coldkey: str = strawberry.field(
        description="SS58 address of the wallet key that owns the hotkey."
    )
    active: bool = strawberry.field(
        description="Whether the neuron counted as active at the last epoch: its `lastUpdate` "
        "within the subnet's `activityCutoff` blocks."
    )
    validator_permit: bool = strawberry.field(
        description="Whether the neuron's weights count: the subnet's `maxValidators` neurons "
        "with the most stake hold a permit, given at each epoch."
    )
    stake: float = strawberry.field(
        description="Stake on the hotkey in this subnet, in tokens: `stakeRao / 10^9`."
    )
    stake_rao: BigInt = strawberry.field(description="Stake on the hotkey, in rao.")
    rank: float = strawberry.field(
        description=f"{_NORMALISED}: the stake-weighted sum of the weights validators gave "
        "the neuron, clipped at consensus, over the subnet's."
    )
    emission: float = strawberry.field(
        description="What the neuron earned at the subnet's last epoch, in tokens: "
        "`emissionRao / 10^9`."
    )
    emission_rao: BigInt = strawberry.field(
        description="What the neuron earned at the last epoch, in rao."
    )
    incentive: float = strawberry.field(
        description=f"{_NORMALISED}: the neuron's share of the miners' emission at the last "
        "epoch (its rank over all ranks)."
    )
    consensus: float = strawberry.field(
        description=f"{_NORMALISED}: the weight a `kappa` share of validator stake agrees on "
        "giving the neuron (a stake-weighted median); weights above it are clipped to it."
    )
    trust: float = strawberry.field(
        description=f"{_NORMALISED}: the share of the weight the neuron received that survived "
        "clipping at consensus (1: the validators agree)."
    )
    validator_trust: float = strawberry.field(
        description=f"{_NORMALISED}, for validators: the sum of the validator's weights that "
        "survived clipping at consensus (how far it agrees with the others)."
    )
    dividends: float = strawberry.field(
        description=f"{_NORMALISED}, for validators: the validator's share of the validators' "
        "emission at the last epoch, earned through its bonds."
    )
    last_update: int = strawberry.field(
        description="Block at which the neuron last set weights (or registered)."
    )
    blocks_since_last_update: int = strawberry.field(
        description="Blocks since then: `block.number - lastUpdate`."
    )
    pruning_score: int = strawberry.field(
        description="The chain's u16 (0..65535): when a new hotkey registers, the neuron "
        "outside its immunity period with the lowest score gives up its uid."
    )
    axon: Axon = strawberry.field(description="Where the neuron serves requests.")
    prometheus: PrometheusEndpoint = strawberry.field(
        description="Where the neuron serves its metrics."
    )
    # The full metagraph (neuron_details.py): set only when a query selects them.
    alpha_stake: float = strawberry.field(
        default=UNSET,
        description="The subnet's alpha the hotkey counts at the epoch, in tokens: its own, "
        "less what it passes to child hotkeys, plus what it inherits from parents "
        "(`get_metagraph`'s `alpha_stake`).",
    )
    alpha_stake_rao: BigInt = strawberry.field(default=UNSET, description="`alphaStake` in rao.")
    tao_stake: float = strawberry.field(
        default=UNSET,
        description="The TAO (root) stake the hotkey counts on this subnet, inherited likewise, "
        "in TAO.",
    )
    tao_stake_rao: BigInt = strawberry.field(default=UNSET, description="`taoStake` in rao.")
    total_stake: float = strawberry.field(
        default=UNSET,
        description="The stake weight the epoch uses: `alphaStake + taoStake x TaoWeight` "
        "(the chain's weight of TAO against alpha), in tokens.",
    )
    total_stake_rao: BigInt = strawberry.field(default=UNSET, description="`totalStake` in rao.")
    registered_at: int = strawberry.field(
        default=UNSET, description="Block at which the hotkey took this uid."
    )
    is_immune: bool = strawberry.field(
        default=UNSET,
        description="Whether the neuron is inside its immunity period at this block "
        "(`block.number - registeredAt < immunityPeriod`): it cannot be pruned for a new "
        "registration.",
    )
    identity: Identity | None = strawberry.field(
        default=UNSET, description="The on-chain identity of the neuron's coldkey; null when unset."
    )
    parents: list[StakeLinkInfo] = strawberry.field(
        default=UNSET,
        description="Hotkeys this one inherits stake from on the subnet (`ParentKeys`), each "
        "with the share it gets.",
    )
    children: list[StakeLinkInfo] = strawberry.field(
        default=UNSET,
        description="Hotkeys this one passes stake to on the subnet (`ChildKeys`), each with "
        "the share it gives.",
    )
    validator_liveness: ValidatorLiveness | None = strawberry.field(
        default=UNSET,
        description="For a neuron with a validator permit: how recently it set weights, "
        "against the tempo and activity cutoff at the block; null for the others.",
    )

    @classmethod
    def from_model(cls, n: models.Neuron, block: BlockRef) -> Neuron:
        # Spelled out, not `from_fields`: a metagraph builds 1024 of these per answer, and
        # this is twice as fast (24 ms against 57 ms for 1024 here).
        a, p = n.axon, n.prometheus
        return cls(
            block=block,
            uid=n.uid,
            hotkey=n.hotkey,
            coldkey=n.coldkey,
            active=n.active,
            validator_permit=n.validator_permit,
            stake=n.stake,
            stake_rao=BigInt(n.stake_rao),
            rank=n.rank,
            emission=n.emission,
            emission_rao=BigInt(n.emission_rao),
            incentive=n.incentive,
            consensus=n.consensus,
            trust=n.trust,
            validator_trust=n.validator_trust,
            dividends=n.dividends,
            last_update=n.last_update,
            blocks_since_last_update=block.number - n.last_update,
            pruning_score=n.pruning_score,
            axon=Axon(
                ip=a.ip,
                port=a.port,
                ip_type=a.ip_type,
                protocol=a.protocol,
                version=a.version,
                block=a.block,
            ),
            prometheus=PrometheusEndpoint(
                ip=p.ip, port=p.port, ip_type=p.ip_type, version=p.version, block=p.block
            ),
        )


_Where = Annotated[
    NeuronFilter | None,
    strawberry.argument(description="Keep only the neurons matching every condition."),
]
_OrderBy = Annotated[
    NeuronOrder | None,
    strawberry.argument(description="Order of the list (default: uid ascending)."),
]
_First = Annotated[
    int | None,
    strawberry.argument(description="Most neurons returned, 0 to the page size (the default)."),
]
_Offset = Annotated[
    int,
    strawberry.argument(
        description="Neurons skipped after filtering and ordering (after the cursor, if given)."
    ),
]
_After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (a page's `pageInfo.endCursor`), of the list with "
        "the same `where` and `orderBy` at the same block; another block's is BAD_USER_INPUT."
    ),
]


@strawberry.type(description="A page of a filtered, ordered neuron list at one block.")
class NeuronPage:
    total_count: int = strawberry.field(
        description="How many neurons the filter keeps at this block (every page's same total)."
    )
    neurons: list[Neuron] = strawberry.field(description="The neurons of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where the page ends; whether more follow.")


@strawberry.type(description="All neurons of the subnet at one block.")
class Metagraph:
    block: BlockRef = strawberry.field(description="The block this answer is for.")
    netuid: int = strawberry.field(description="The subnet's number.")
    neuron_count: int = strawberry.field(description="Neurons in the subnet (before filters).")
    model: strawberry.Private[models.Metagraph]

    @strawberry.field(
        description=(
            "The neurons, filtered by `where`, ordered by `orderBy` (uid ascending by default), "
            "then those up to the cursor `after` and `offset` more skipped and at most `first` "
            "returned. `first` defaults to, and may not exceed, the server's page size "
            "(PYLON_MAX_PAGE_SIZE). `neuronPage` gives the same list with its total and cursors."
        )
    )
    async def neurons(
        self,
        info: Info,
        where: _Where = None,
        order_by: _OrderBy = None,
        first: _First = None,
        offset: _Offset = 0,
        after: _After = None,
    ) -> list[Neuron]:
        _, _, served = await self._page(
            info, where, order_by, first, offset, after, selected_names(info)
        )
        return served

    @strawberry.field(
        description=(
            "A page of the neurons, as `neurons` selects them, with the filtered list's "
            "`totalCount` and the cursor to continue from (`pageInfo.endCursor`, passed as "
            "`after` at the same block: the pages of one block concatenate to the whole list, "
            "however the chain moves)."
        )
    )
    async def neuron_page(
        self,
        info: Info,
        where: _Where = None,
        order_by: _OrderBy = None,
        first: _First = None,
        offset: _Offset = 0,
        after: _After = None,
    ) -> NeuronPage:
        total, end, served = await self._page(
            info, where, order_by, first, offset, after, names_under(info, "neurons")
        )
        key = list_key(where, order_by)
        return NeuronPage(
            total_count=total,
            neurons=served,
            page_info=PageInfo(
                end_cursor=cursor(self.block.number, key, end - 1) if served else None,
                has_next_page=end < total,
            ),
        )

    async def _page(
        self,
        info: Info,
        where: NeuronFilter | None,
        order_by: NeuronOrder | None,
        first: int | None,
        offset: int,
        after: str | None,
        wanted: set[str],
    ) -> tuple[int, int, list[Neuron]]:
        """(how many neurons the filter keeps, the index after the page's last, the page)."""
        max_page = info.context.settings.max_page_size
        if first is None:
            first = max_page
        if first < 0 or first > max_page:
            raise BadUserInput(
                f"`first` must be between 0 and {max_page} (the server's page size); "
                f"got {first}: page through with `after` (or `offset`)",
                maxPageSize=max_page,
            )
        if offset < 0:
            raise BadUserInput(f"`offset` must be 0 or more; got {offset}")
        if where is not None:
            check_list(where.uids, "uids", max_page)
            check_keys(where.hotkeys, "hotkey", max_page)
            check_keys(where.coldkeys, "coldkey", max_page)
            if where.updated_within_blocks is not None and where.updated_within_blocks < 0:
                raise BadUserInput(
                    f"`updatedWithinBlocks` must be 0 or more; got {where.updated_within_blocks}"
                )
        block = self.block
        start = offset
        if after is not None:
            start += start_after(after, block.number, list_key(where, order_by))
        kept = select_neurons(self.model.neurons, where, order_by, block.number)
        page = kept[start : start + first]
        served = [Neuron.from_model(n, block) for n in page]
        await fill_details(
            info,
            self.model.block,
            list(zip(page, served, strict=True)),
            wanted,
            self.model.netuid,
        )
        return len(kept), min(start + first, len(kept)), served

    @strawberry.field(
        description="The weights matrix on chain at this block (`SubtensorModule.Weights`): a "
        "row per neuron that has set weights, in uid order, or the rows of `uids` only. "
        "A uid outside the subnet is BAD_USER_INPUT."
    )
    async def chain_weights(
        self,
        info: Info,
        mechanism: Annotated[
            int,
            strawberry.argument(
                description="The subnet's mechanism whose weights to read (0: the subnet's "
                "own); one the subnet does not have (see `mechanisms.count`) is BAD_USER_INPUT."
            ),
        ] = 0,
        uids: Annotated[
            list[int] | None,
            strawberry.argument(description="Only these validators' rows (in this order)."),
        ] = None,
    ) -> list[ChainWeightsRow]:
        rows = await matrix_rows(info, self.model, MatrixKind.WEIGHTS, mechanism, uids)
        return cast(list[ChainWeightsRow], rows)

    @strawberry.field(
        description="The bonds matrix on chain at this block (`SubtensorModule.Bonds`): a row "
        "per neuron that holds bonds, in uid order, or the rows of `uids` only."
    )
    async def bonds(
        self,
        info: Info,
        mechanism: Annotated[
            int,
            strawberry.argument(
                description="The subnet's mechanism whose bonds to read (0: the subnet's "
                "own); one the subnet does not have is BAD_USER_INPUT."
            ),
        ] = 0,
        uids: Annotated[
            list[int] | None,
            strawberry.argument(description="Only these validators' rows (in this order)."),
        ] = None,
    ) -> list[ChainBondsRow]:
        rows = await matrix_rows(info, self.model, MatrixKind.BONDS, mechanism, uids)
        return cast(list[ChainBondsRow], rows)

    @strawberry.field(
        description="The subnet's mechanisms at this block: how many, and how the emission "
        "is split among them."
    )
    async def mechanisms(self, info: Info) -> SubnetMechanisms:
        found = await read_mechanisms(info, self.model.block, self.model.netuid)
        return SubnetMechanisms.from_model(found)

    @classmethod
    def from_model(cls, metagraph: models.Metagraph) -> Metagraph:
        return cls(
            block=BlockRef.from_model(metagraph.block),
            netuid=metagraph.netuid,
            neuron_count=len(metagraph.neurons),
            model=metagraph,
        )
