"""Commit-reveal by hash (`commit_weights` then `reveal_weights`), as subtensor keeps it in
`WeightCommits[netuid][hotkey]`: a queue of (hash, commit block, first and last reveal block).

A commit made in epoch E is revealed in epoch E + `commit_reveal_period`, no earlier (the
chain says `RevealTooEarly`) and no later (`ExpiredWeightCommit`; expired commits are dropped
when the hotkey commits again). The hash is blake2-256 of the SCALE encoding of
`(hotkey, netuid, uids, values, salt, version_key)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..scale import encode_compact
from .hashing import blake2_256
from .state import Subnet, epoch_index

# subtensor's MAX_UNREVEALED_COMMITS per hotkey and subnet
MAX_UNREVEALED_COMMITS = 10


class CommitRefused(Exception):
    """The SubtensorModule error a commit or reveal fails with."""


def commit_hash(
    hotkey: bytes,
    netuid: int,
    uids: list[int],
    values: list[int],
    salt: list[int],
    version_key: int,
) -> bytes:
    def u16s(items: list[int]) -> bytes:
        return encode_compact(len(items)) + b"".join(i.to_bytes(2, "little") for i in items)

    encoded = (
        hotkey
        + netuid.to_bytes(2, "little")
        + u16s(uids)
        + u16s(values)
        + u16s(salt)
        + version_key.to_bytes(8, "little")
    )
    return blake2_256(encoded)


def reveal_window(subnet: Subnet, commit_block: int) -> tuple[int, int]:
    """The first and last block of the epoch in which a commit made at `commit_block` is
    revealed (epoch E starts at E * (tempo + 1) - netuid - 1)."""
    tempo = subnet.hyperparameters["tempo"]
    epoch = epoch_index(subnet, commit_block) + subnet.hyperparameters["commit_reveal_period"]
    first = epoch * (tempo + 1) - subnet.netuid - 1
    return first, first + tempo


def commit(subnet: Subnet, hotkey: bytes, digest: bytes, number: int) -> Subnet:
    """Queue a hash commit (checks: commit-reveal on, not too many unrevealed)."""
    if not subnet.hyperparameters["commit_reveal_weights_enabled"]:
        raise CommitRefused("CommitRevealDisabled")
    queue = [c for c in subnet.hash_commits.get(hotkey, []) if c[3] >= number]  # drop expired
    if len(queue) >= MAX_UNREVEALED_COMMITS:
        raise CommitRefused("TooManyUnrevealedCommits")
    first, last = reveal_window(subnet, number)
    queue.append([digest, number, first, last])
    return dataclasses.replace(subnet, hash_commits={**subnet.hash_commits, hotkey: queue})


def take_reveal(subnet: Subnet, hotkey: bytes, digest: bytes, number: int) -> Subnet:
    """Remove the commit a reveal matches (checks: one exists, the hash, the window)."""
    if not subnet.hyperparameters["commit_reveal_weights_enabled"]:
        raise CommitRefused("CommitRevealDisabled")
    queue: list[list[Any]] = subnet.hash_commits.get(hotkey, [])
    if not queue:
        raise CommitRefused("NoWeightsCommitFound")
    matching = [c for c in queue if c[0] == digest]
    if not matching:
        raise CommitRefused("InvalidRevealCommitHashNotMatch")
    found = matching[0]
    if number < found[2]:
        raise CommitRefused("RevealTooEarly")
    if number > found[3]:
        raise CommitRefused("ExpiredWeightCommit")
    rest = [c for c in queue if c is not found]
    commits = {**subnet.hash_commits, hotkey: rest}
    if not rest:
        del commits[hotkey]
    return dataclasses.replace(subnet, hash_commits=commits)
