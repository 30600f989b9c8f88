"""Epochs at a block and past the head: what `epoch(block:)` and `Epoch.next` answer.

A block up to the head gets the epoch the chain ran there (the tempo read at that block); a
block past the head gets the epoch predicted from the head's tempo: subtensor runs a subnet's
epoch at the blocks the tempo in force gives, so the prediction holds while the tempo stays.
"""

from __future__ import annotations

from .. import models
from ..chain.epochs import epoch_at
from ..chain.errors import FutureBlock, SubnetNotFound
from .context import Info

#: The largest block number a GraphQL Int holds.
LARGEST_INT = 2**31 - 1


async def tempo_at(info: Info, ref: models.BlockRef, netuid: int, listed: bool) -> int:
    """The subnet's tempo at the block: from `subnets`' one read of every subnet when the epoch
    is one of a subnet list (one read for the list, not one per subnet), else from the
    subnet's hyperparameters (which the follower warms for PYLON_NETUIDS)."""
    reader = info.context.reader
    if not listed:
        return (await reader.hyperparameters(ref, netuid)).tempo
    found = next((s for s in await reader.subnets(ref) if s.netuid == netuid), None)
    if found is None:
        raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
    return found.tempo


def _epoch(info: Info, number: int, netuid: int, tempo: int) -> models.Epoch:
    settings = info.context.settings
    return epoch_at(
        number,
        netuid,
        tempo,
        commit_window_start_offset=settings.commit_window_start_offset,
        commit_window_end_buffer=settings.commit_window_end_buffer,
    )


async def predicted_epoch(
    info: Info,
    head: models.BlockRef,
    number: int,
    netuid: int | None,
    *,
    tempo: int | None = None,
    listed: bool = False,
) -> models.Epoch:
    """The epoch that will contain block `number` (past the head) if the tempo stays the
    head's (`tempo` when the caller knows it already)."""
    netuid = info.context.settings.netuid if netuid is None else netuid
    if tempo is None:
        tempo = await tempo_at(info, head, netuid, listed)
    epoch = _epoch(info, number, netuid, tempo)
    if epoch.end > LARGEST_INT:
        # Its end would not fit a GraphQL Int: too far ahead to answer, as any read there.
        raise FutureBlock(number, head.number)
    return epoch


async def epoch_of_block(
    info: Info, ref: models.BlockRef, netuid: int, *, listed: bool = False
) -> models.Epoch:
    """The epoch containing a block up to the head, with the tempo on chain there."""
    if not listed:
        return await info.context.reader.epoch(ref, netuid)
    return _epoch(info, ref.number, netuid, await tempo_at(info, ref, netuid, listed))
