"""ChainReader: every chain read the schema makes, at an explicit block, cached per block hash.

INTERFACE STUB (to be implemented by the chain work). The schema layer calls exactly these
methods; the follower calls `set_head`.
"""

from __future__ import annotations

from ..settings import Settings
from .models import (
    Block,
    BlockRef,
    ChainInfo,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
    Subnet,
)


class ChainReader:
    def __init__(self, client: object, settings: Settings) -> None:
        raise NotImplementedError

    @property
    def head(self) -> BlockRef | None:
        """The latest finalized head the follower has seen (None before the first one)."""
        raise NotImplementedError

    def set_head(self, ref: BlockRef) -> None:
        raise NotImplementedError

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef:
        """The block a query asks for: by number, by hash, or the head when both are None.

        Raises `ValueError` for malformed input (negative number, bad hex),
        `FutureBlock` past the head, `BlockNotFound` for an unknown hash.
        """
        raise NotImplementedError

    async def block(self, ref: BlockRef) -> Block:
        raise NotImplementedError

    async def metagraph(self, ref: BlockRef) -> Metagraph:
        raise NotImplementedError

    async def hyperparameters(self, ref: BlockRef) -> Hyperparameters:
        raise NotImplementedError

    async def subnet(self, ref: BlockRef) -> Subnet:
        raise NotImplementedError

    async def epoch(self, ref: BlockRef) -> Epoch:
        raise NotImplementedError

    async def commitment(self, ref: BlockRef, hotkey: str) -> Commitment | None:
        raise NotImplementedError

    async def commitments(self, ref: BlockRef) -> tuple[Commitment, ...]:
        raise NotImplementedError

    async def chain_info(self) -> ChainInfo:
        raise NotImplementedError
