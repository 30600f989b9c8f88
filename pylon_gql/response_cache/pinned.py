"""The chain reader as an answer kept in the response cache must see it: at one head."""

from __future__ import annotations

from typing import Any

from ..chain.errors import FutureBlock
from ..models import BlockRef
from ..schema.context import Reader


class HeadPinnedReader:
    """The chain reader with the head fixed where the response cache keyed the request, so
    the answer kept under a head's hash is the answer at that head."""

    def __init__(self, reader: Reader, head: BlockRef) -> None:
        self._reader = reader
        self._head = head
        # A read at an explicit block does not depend on the head: it is the reader's own.
        self.holds = reader.holds
        self.block = reader.block
        self.metagraph = reader.metagraph
        self.hyperparameters = reader.hyperparameters
        self.subnet = reader.subnet
        self.epoch = reader.epoch
        self.commitment = reader.commitment
        self.commitments = reader.commitments
        self.chain_info = reader.chain_info
        self.neuron_stakes = reader.neuron_stakes
        self.stake_links = reader.stake_links
        self.chain_matrix = reader.chain_matrix
        self.pending_weight_commits = reader.pending_weight_commits
        self.revealed_commitments = reader.revealed_commitments
        self.block_content = reader.block_content
        self.subnets = reader.subnets

    @property
    def head(self) -> BlockRef | None:
        return self._head

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef:
        if number is None and hash is None:
            return self._head
        if hash is None and number is not None and number > self._head.number >= 0:
            raise FutureBlock(number, self._head.number)
        return await self._reader.resolve(number=number, hash=hash)

    def __getattr__(self, name: str) -> Any:
        # Reads added to the reader later pass through unchanged.
        return getattr(self._reader, name)
