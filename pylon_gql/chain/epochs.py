"""Epoch arithmetic: pure functions of (block, netuid, tempo) and the commit window settings.

Kept free of I/O so it can be checked exhaustively against subtensor's own formula.
"""

from __future__ import annotations

import dataclasses

from ..models import Epoch
from .errors import NoEpochs


def blocks_until_next_epoch(block: int, netuid: int, tempo: int) -> int:
    """Subtensor's `blocks_until_next_epoch`: 0 at the blocks where the subnet's epoch runs."""
    return tempo - (block + netuid + 1) % (tempo + 1)


def epoch_at(
    block: int,
    netuid: int,
    tempo: int,
    *,
    commit_window_start_offset: int,
    commit_window_end_buffer: int,
) -> Epoch:
    """The epoch containing `block`, as `models.Epoch` documents it.

    An epoch starts at a block where subtensor runs it (`blocks_until_next_epoch == 0`) and ends
    the block before the next run, like turbobt's `Subnet.epoch`. The commit window opens
    `commit_window_start_offset` blocks after the start and closes `commit_window_end_buffer`
    blocks before the end; with a large offset or buffer it is empty (start > end).
    """
    if tempo <= 0:
        # Subtensor never runs the epoch of a subnet whose tempo is 0.
        raise NoEpochs(
            f"subnet {netuid} has tempo {tempo} at block {block}: the chain runs no epochs of it "
            "(the owner can set a tempo with setHyperparameter)"
        )
    if block < 0:
        raise ValueError(f"block number must be >= 0, got {block}")
    until = blocks_until_next_epoch(block, netuid, tempo)
    start = block if until == 0 else block + until - (tempo + 1)
    end = start + tempo
    return Epoch(
        netuid=netuid,
        tempo=tempo,
        index=(start + netuid + 2) // (tempo + 1),
        start=start,
        end=end,
        block=block,
        commit_window_start=start + commit_window_start_offset,
        commit_window_end=end - commit_window_end_buffer,
    )


def started_at(epoch: Epoch, start: int) -> Epoch:
    """`epoch`, started later, at `start` (inside it): the epoch as the chain ran it when the
    tempo was raised inside it. Subtensor runs a subnet's epoch at the blocks the tempo in force
    gives, so after a raise the chain stays in the epoch that started under the old tempo until
    the new tempo's next run (`epoch.end + 1`); computed with the new tempo alone, the epoch
    would start before that one did. The end, index and window end stay; the window opens
    `commit_window_start_offset` blocks after the new start, as before after the old one."""
    if not epoch.start <= start <= epoch.block:
        raise ValueError(
            f"block {start} is not between the start of the epoch ({epoch.start}) and its block "
            f"({epoch.block})"
        )
    offset = epoch.commit_window_start - epoch.start
    return dataclasses.replace(epoch, start=start, commit_window_start=start + offset)
