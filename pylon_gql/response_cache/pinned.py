"""The chain reader as an answer kept in the response cache must see it: at one head."""

from __future__ import annotations

from typing import Any

from ..chain.errors import FutureBlock
from ..models import (
    Block,
    BlockRef,
    ChainInfo,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
    Subnet,
)
from ..schema.context import Reader


class HeadPinnedReader:
    """The chain reader with the head fixed where the response cache keyed the request, so
    the answer kept under a head's hash is the answer at that head."""

    def __init__(self, reader: Reader, head: BlockRef) -> None:
        self._reader = reader
        self._head = head

    @property
    def head(self) -> BlockRef | None:
        return self._head

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef:
        if number is None and hash is None:
            return self._head
        if hash is None and number is not None and number > self._head.number >= 0:
            raise FutureBlock(number, self._head.number)
        return await self._reader.resolve(number=number, hash=hash)

    def holds(self, number: int) -> bool:
        return self._reader.holds(number)

    async def block(self, ref: BlockRef) -> Block:
        return await self._reader.block(ref)

    async def metagraph(self, ref: BlockRef) -> Metagraph:
        return await self._reader.metagraph(ref)

    async def hyperparameters(self, ref: BlockRef) -> Hyperparameters:
        return await self._reader.hyperparameters(ref)

    async def subnet(self, ref: BlockRef) -> Subnet:
        return await self._reader.subnet(ref)

    async def epoch(self, ref: BlockRef) -> Epoch:
        return await self._reader.epoch(ref)

    async def commitment(self, ref: BlockRef, hotkey: str) -> Commitment | None:
        return await self._reader.commitment(ref, hotkey)

    async def commitments(self, ref: BlockRef) -> tuple[Commitment, ...]:
        return await self._reader.commitments(ref)

    async def chain_info(self) -> ChainInfo:
        return await self._reader.chain_info()

    def __getattr__(self, name: str) -> Any:
        # Reads added to the reader later pass through unchanged.
        return getattr(self._reader, name)
