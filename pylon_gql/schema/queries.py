"""The root Query: each field resolves its block once, reads the chain there, says which block."""

from __future__ import annotations

from typing import Annotated

import strawberry

from .. import models
from ..chain.errors import BlockNotFound
from ..freshness import head_is_stale
from .arguments import check_ss58
from .chain_commits import PendingWeightCommitInfo, RevealedCommitmentInfo
from .context import Info
from .epoch_reads import predicted_epoch
from .errors import ApiError, BadUserInput, ErrorCode
from .history import FromBlock, Step, ToBlock, history_of
from .neuron_details import fill_details, selected_names
from .neurons import Metagraph, Neuron
from .subnets import Subnet, SubnetOrderBy, SubnetWhere, served_subnet, subnets_at
from .types import Block, BlockRef, Chain, Commitment, Epoch, Hyperparameters

#: The largest subnet number (netuids are u16).
MAX_NETUID = 65535

BlockNumber = Annotated[
    int | None,
    strawberry.argument(
        description=(
            "Block number to answer at; the latest finalized head when left out. A negative "
            "number is BAD_USER_INPUT, one past the head BLOCK_IN_FUTURE, one the node does "
            "not know NOT_FOUND, one whose state the node no longer keeps BLOCK_PRUNED."
        )
    ),
]


SubnetNumber = Annotated[
    int | None,
    strawberry.argument(
        description=(
            "The subnet (netuid, 0-65535) to read; the server's (PYLON_NETUID) when left out. "
            "A subnet that does not exist at the block is NOT_FOUND."
        )
    ),
]


def check_netuid(netuid: int | None) -> None:
    if netuid is not None and not 0 <= netuid <= MAX_NETUID:
        raise BadUserInput(f"netuid must be between 0 and {MAX_NETUID}; got {netuid}")


async def resolve_block(
    info: Info, number: int | None = None, hash: str | None = None
) -> models.BlockRef:
    """The one block a field answers at: by number, by hash, or the head."""
    reader = info.context.reader
    if number is None and hash is None and reader.head is None:
        raise ApiError(
            "the server has not seen a finalized head yet; retry in a few seconds",
            ErrorCode.UNAVAILABLE,
        )
    try:
        return await reader.resolve(number=number, hash=hash)
    except ValueError as error:
        raise BadUserInput(str(error)) from error


@strawberry.type
class Query:
    @strawberry.field(description="The latest finalized block the server has seen.")
    async def head(self, info: Info) -> Block:
        ref = await resolve_block(info)
        return Block.from_model(await info.context.reader.block(ref))

    @strawberry.field(
        description=(
            "A block by `number` or by `hash` (give one, or neither for the head). "
            "An unknown hash gives null; a number past the head is a BLOCK_IN_FUTURE error, one "
            "the node does not know NOT_FOUND, a malformed hash or a negative number "
            "BAD_USER_INPUT."
        )
    )
    async def block(
        self,
        info: Info,
        number: Annotated[
            int | None, strawberry.argument(description="Height of the block (genesis is 0).")
        ] = None,
        hash: Annotated[
            str | None,
            strawberry.argument(description="Hash of the block: 0x and 64 hex digits."),
        ] = None,
    ) -> Block | None:
        if number is not None and hash is not None:
            raise BadUserInput("give `number` or `hash`, not both")
        try:
            ref = await resolve_block(info, number=number, hash=hash)
            return Block.from_model(await info.context.reader.block(ref))
        except BlockNotFound:
            if hash is None:
                raise
            return None

    @strawberry.field(description="All neurons of a subnet at a block.")
    async def metagraph(
        self, info: Info, block: BlockNumber = None, netuid: SubnetNumber = None
    ) -> Metagraph:
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        return Metagraph.from_model(await info.context.reader.metagraph(ref, netuid))

    @strawberry.field(
        description=(
            "One neuron by `uid` or by `hotkey` (give exactly one). A uid outside the subnet "
            "or a hotkey that is not SS58 is BAD_USER_INPUT; a hotkey not registered in the "
            "subnet gives null."
        )
    )
    async def neuron(
        self,
        info: Info,
        uid: Annotated[
            int | None, strawberry.argument(description="The neuron's slot in the subnet.")
        ] = None,
        hotkey: Annotated[
            str | None, strawberry.argument(description="SS58 address of the neuron's hotkey.")
        ] = None,
        block: BlockNumber = None,
        netuid: SubnetNumber = None,
    ) -> Neuron | None:
        if (uid is None) == (hotkey is None):
            raise BadUserInput("give exactly one of `uid` or `hotkey`")
        if hotkey is not None:
            check_ss58(hotkey, "hotkey")
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        metagraph = await info.context.reader.metagraph(ref, netuid)
        if uid is not None:
            found = metagraph.neuron_by_uid(uid)
            if found is None:
                raise BadUserInput(
                    f"uid {uid} is out of range: subnet {metagraph.netuid} has "
                    f"{len(metagraph.neurons)} neurons at block {ref.number} "
                    f"(uids 0 to {len(metagraph.neurons) - 1})"
                )
        else:
            found = metagraph.by_hotkey.get(hotkey or "")
            if found is None:
                return None
        served = Neuron.from_model(found, BlockRef.from_model(ref))
        await fill_details(info, ref, [(found, served)], selected_names(info), metagraph.netuid)
        return served

    @strawberry.field(
        description=(
            "The subnet's epoch containing a block, from the tempo on chain at that block, "
            "and the server's commit window in it. A block past the head gets the epoch "
            "predicted from the head's tempo (`predicted: true`) instead of BLOCK_IN_FUTURE."
        )
    )
    async def epoch(
        self, info: Info, block: BlockNumber = None, netuid: SubnetNumber = None
    ) -> Epoch:
        check_netuid(netuid)
        head = info.context.reader.head
        if block is not None and head is not None and block > head.number:
            return await _predicted_epoch(info, head, block, netuid)
        ref = await resolve_block(info, block)
        return Epoch.from_model(await info.context.reader.epoch(ref, netuid), ref)

    @strawberry.field(description="A subnet's hyperparameters at a block.")
    async def hyperparameters(
        self, info: Info, block: BlockNumber = None, netuid: SubnetNumber = None
    ) -> Hyperparameters:
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        return Hyperparameters.from_model(
            await info.context.reader.hyperparameters(ref, netuid), ref
        )

    @strawberry.field(
        description=(
            "A subnet at a block, as `subnets` lists it: identity, owner, tempo, size, burn, "
            "pool, price, emission and epoch (read alone, not with every subnet); NOT_FOUND "
            "when the subnet does not exist there."
        )
    )
    async def subnet(
        self, info: Info, block: BlockNumber = None, netuid: SubnetNumber = None
    ) -> Subnet:
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        return served_subnet(info, ref, await info.context.reader.subnet(ref, netuid))

    @strawberry.field(
        description=(
            "A subnet's metagraph at evenly spaced blocks, `fromBlock` to `toBlock` every "
            "`step` (at most PYLON_MAX_HISTORY_POINTS points), oldest first: select any "
            "metagraph field for a chart, e.g. `neurons(where: {uids: [5]}) { stake }`."
        )
    )
    async def history(
        self,
        info: Info,
        from_block: FromBlock,
        to_block: ToBlock,
        step: Step = 1,
        netuid: SubnetNumber = None,
    ) -> list[Metagraph]:
        check_netuid(netuid)
        try:
            return await history_of(info, from_block, to_block, step, netuid)
        except ValueError as error:
            raise BadUserInput(str(error)) from error

    @strawberry.field(
        description=(
            "Every subnet at a block with its dynamic info (identity, owner, tempo, size, "
            "burn, pool, price, emission, epoch), filtered by `where` and ordered by `orderBy` "
            "(netuid ascending by default)."
        )
    )
    async def subnets(
        self,
        info: Info,
        block: BlockNumber = None,
        where: SubnetWhere = None,
        order_by: SubnetOrderBy = None,
    ) -> list[Subnet]:
        if where is not None and where.owner_coldkey is not None:
            check_ss58(where.owner_coldkey, "ownerColdkey")
        ref = await resolve_block(info, block)
        return await subnets_at(info, ref, where, order_by)

    @strawberry.field(
        description=(
            "What `hotkey` has committed, as of a block; null when it has committed nothing. "
            "A hotkey that is not SS58 is BAD_USER_INPUT."
        )
    )
    async def commitment(
        self,
        info: Info,
        hotkey: Annotated[
            str, strawberry.argument(description="SS58 address of the hotkey that committed.")
        ],
        block: BlockNumber = None,
        netuid: SubnetNumber = None,
    ) -> Commitment | None:
        check_ss58(hotkey, "hotkey")
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        await _subnet_exists(info, ref, netuid)
        found = await info.context.reader.commitment(ref, hotkey, netuid)
        return None if found is None else Commitment.from_model(found, ref)

    @strawberry.field(description="Every commitment of a subnet's hotkeys, as of a block.")
    async def commitments(
        self, info: Info, block: BlockNumber = None, netuid: SubnetNumber = None
    ) -> list[Commitment]:
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        await _subnet_exists(info, ref, netuid)
        found = await info.context.reader.commitments(ref, netuid)
        return [Commitment.from_model(c, ref) for c in found]

    @strawberry.field(
        description=(
            "The subnet's timelocked weight commits not revealed yet at a block "
            "(`TimelockedWeightCommits`, every epoch's), oldest first. A subnet that does not "
            "exist there is NOT_FOUND."
        )
    )
    async def pending_weight_commits(
        self,
        info: Info,
        netuid: SubnetNumber = None,
        block: BlockNumber = None,
    ) -> list[PendingWeightCommitInfo]:
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        reader = info.context.reader
        metagraph = await reader.metagraph(ref, netuid)  # NOT_FOUND for no such subnet
        found = await reader.pending_weight_commits(ref, netuid)
        return [
            PendingWeightCommitInfo.from_model(
                commit, ref, _uid_of(metagraph.by_hotkey.get(commit.hotkey))
            )
            for commit in found
        ]

    @strawberry.field(
        description=(
            "What the chain has revealed of timelocked commitments on the subnet "
            "(`Commitments.RevealedCommitments`), as of a block: `hotkey`'s, or every "
            "hotkey's when left out, each hotkey's oldest first. A hotkey that is not SS58 is "
            "BAD_USER_INPUT."
        )
    )
    async def revealed_commitments(
        self,
        info: Info,
        hotkey: Annotated[
            str | None,
            strawberry.argument(description="SS58 address of the hotkey that committed."),
        ] = None,
        block: BlockNumber = None,
        netuid: SubnetNumber = None,
    ) -> list[RevealedCommitmentInfo]:
        if hotkey is not None:
            check_ss58(hotkey, "hotkey")
        check_netuid(netuid)
        ref = await resolve_block(info, block)
        await _subnet_exists(info, ref, netuid)
        found = await info.context.reader.revealed_commitments(ref, hotkey, netuid)
        return [RevealedCommitmentInfo.from_model(c, ref) for c in found]

    @strawberry.field(description="The chain this server follows, and how fresh its head is.")
    async def chain(self, info: Info) -> Chain:
        context = info.context
        chain = await context.reader.chain_info()
        head = context.reader.head
        age = context.head_age()
        return Chain(
            network=chain.network,
            simulated=chain.simulated,
            genesis_hash=chain.genesis_hash,
            spec_version=chain.spec_version,
            head=None if head is None else BlockRef.from_model(head),
            head_age_seconds=age,
            stale=head_is_stale(age, context.settings.health_max_head_age),
        )


async def _subnet_exists(info: Info, ref: models.BlockRef, netuid: int | None) -> None:
    """NOT_FOUND when the subnet does not exist at the block (storage maps of a subnet that
    never was read as empty). The hyperparameters are what the follower warms: no extra call
    for the subnets of PYLON_NETUIDS."""
    await info.context.reader.hyperparameters(ref, netuid)


async def _predicted_epoch(
    info: Info, head: models.BlockRef, number: int, netuid: int | None
) -> Epoch:
    """The epoch that will contain block `number` (past the head) if the tempo stays the
    head's: subtensor runs epochs at the blocks the tempo in force gives."""
    epoch = await predicted_epoch(info, head, number, netuid)
    return Epoch.from_model(epoch, head, predicted=True)


def _uid_of(neuron: models.Neuron | None) -> int | None:
    return None if neuron is None else neuron.uid
