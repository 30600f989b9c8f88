"""Pending timelocked weight commits (`SubtensorModule.TimelockedWeightCommits`) and revealed
commitments (`Commitments.RevealedCommitments`) from storage (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping

from ..models_metagraph import PendingWeightCommit, RevealedCommitment
from .decode import ss58_of
from .runtime_types import StorageItem


def pending_from_values(
    item: StorageItem, values: Mapping[str, bytes]
) -> tuple[PendingWeightCommit, ...]:
    """Each entry `(netuid index, epoch) -> [(hotkey, commit block, ciphertext, round)]`,
    flattened, oldest commit first."""
    found = []
    for key, data in values.items():
        _, epoch = item.key_parts(key)
        for hotkey, commit_block, ciphertext, reveal_round in item.value(data) or ():
            found.append(
                PendingWeightCommit(
                    hotkey=ss58_of(bytes(hotkey)),
                    epoch=int(epoch),
                    commit_block=int(commit_block),
                    reveal_round=int(reveal_round),
                    ciphertext=bytes(ciphertext),
                )
            )
    found.sort(key=lambda c: (c.commit_block, c.epoch, c.hotkey))
    return tuple(found)


def revealed_from_values(
    item: StorageItem, values: Mapping[str, bytes]
) -> tuple[RevealedCommitment, ...]:
    """Each entry `(netuid, hotkey) -> [(data, reveal block)]`, flattened, by hotkey and then
    in the order the chain keeps them (oldest first)."""
    found = []
    for key, data in values.items():
        _, hotkey = item.key_parts(key)
        for raw, revealed_at in item.value(data) or ():
            found.append(
                RevealedCommitment(
                    hotkey=ss58_of(bytes(hotkey)), raw=bytes(raw), revealed_at=int(revealed_at)
                )
            )
    found.sort(key=lambda c: c.hotkey)  # stable: each hotkey's reveals keep their order
    return tuple(found)
