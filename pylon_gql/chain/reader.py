"""ChainReader: every chain read the schema makes, at an explicit block, cached per block hash.

What a block hash fixes never changes, so it is decoded once and served many times from
aiocache's memory backend. That backend has no size bound, so the reader bounds it itself: it
remembers which keys belong to which block and, past `settings.cache_blocks` blocks, drops the
keys of the least recently used block. Concurrent misses for one key are collapsed into a single
chain call with aiocache's `RedLock` (its memory backend makes it a per-process lock); a waiter
gives up waiting after the lease, which is longer than the chain timeout.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from aiocache import SimpleMemoryCache
from aiocache.lock import RedLock

from .. import metrics
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
from ..settings import Settings
from .epochs import epoch_at
from .errors import BlockNotFound, FutureBlock

T = TypeVar("T")

_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_namespaces = itertools.count()


class ChainSource(Protocol):
    """What the reader needs of `ChainClient` (tests give it a fake)."""

    async def genesis_hash(self) -> str: ...
    async def spec_version(self, block_hash: str) -> int: ...
    async def finalized_head(self) -> BlockRef: ...
    async def block_hash(self, number: int) -> str | None: ...
    async def block_number(self, block_hash: str) -> int | None: ...
    async def block(self, ref: BlockRef) -> Block: ...
    async def metagraph(self, netuid: int, ref: BlockRef) -> Metagraph: ...
    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters: ...
    async def subnet(self, netuid: int, ref: BlockRef) -> Subnet: ...
    async def commitment(self, netuid: int, hotkey: str, ref: BlockRef) -> Commitment | None: ...
    async def commitments(self, netuid: int, ref: BlockRef) -> tuple[Commitment, ...]: ...


class _Absent:
    """Stands for a cached None (aiocache reads None as a miss)."""


_ABSENT = _Absent()


class ChainReader:
    def __init__(self, client: ChainSource, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.netuid = settings.netuid
        self._head: BlockRef | None = None
        self._cache = SimpleMemoryCache(namespace=f"chain{next(_namespaces)}:")
        # Waiters give up after the lease; a read may take a timeout here and one on the archive.
        self._lease = 2 * settings.chain_timeout + 1
        #: block hash -> its cache keys, least recently used first.
        self._blocks: collections.OrderedDict[str, set[str]] = collections.OrderedDict()
        #: Resolved blocks, both ways, bounded apart from the data cache: unknown hashes are
        #: not remembered, so queries for made-up blocks cannot push real data out.
        self._hashes: collections.OrderedDict[int, str] = collections.OrderedDict()
        self._numbers: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._genesis_hash: str | None = None
        #: Reads not cached per block (a number's hash, the head before the first): one node
        #: call for concurrent askers.
        self._flights: dict[tuple[object, ...], asyncio.Future[Any]] = {}

    @property
    def head(self) -> BlockRef | None:
        """The latest finalized head the follower has seen (None before the first one)."""
        return self._head

    def set_head(self, ref: BlockRef) -> None:
        self._head = ref
        self._remember_hash(ref)

    @property
    def cached_blocks(self) -> int:
        """How many blocks have data in the cache (at most `settings.cache_blocks`)."""
        return len(self._blocks)

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef:
        """The block a query asks for: by number, by hash, or the head when both are None.

        Raises `ValueError` for malformed input (negative number, bad hex),
        `FutureBlock` past the head, `BlockNotFound` for an unknown hash.
        """
        if hash is not None:
            if not isinstance(hash, str) or not _HASH.fullmatch(hash):
                raise ValueError(
                    f"malformed block hash {hash!r}: expected 0x followed by 64 hex digits"
                )
            ref = await self._resolve_hash(hash.lower())
            if number is not None and number != ref.number:
                raise BlockNotFound(f"block {ref.hash} is number {ref.number}, not {number}")
            return ref
        if number is None:
            return await self._current_head()
        if number < 0:
            raise ValueError(f"block number must be >= 0, got {number}")
        head = await self._current_head()
        if number > head.number:
            raise FutureBlock(number, head.number)
        known = self._hashes.get(number)
        if known is not None:
            metrics.CACHE_HITS.labels("block_hash").inc()
            self._hashes.move_to_end(number)
            return BlockRef(number, known)
        metrics.CACHE_MISSES.labels("block_hash").inc()
        block_hash = await self._shared(
            ("block_hash", number), lambda: self.client.block_hash(number)
        )
        if block_hash is None:
            raise BlockNotFound(f"the node knows no block {number}")
        ref = BlockRef(number, block_hash)
        self._remember_hash(ref)
        return ref

    async def block(self, ref: BlockRef) -> Block:
        return await self._cached("block", ref, "", lambda: self.client.block(ref))

    async def metagraph(self, ref: BlockRef, netuid: int | None = None) -> Metagraph:
        netuid = self._netuid(netuid)
        return await self._cached(
            "metagraph", ref, str(netuid), lambda: self.client.metagraph(netuid, ref)
        )

    async def hyperparameters(self, ref: BlockRef, netuid: int | None = None) -> Hyperparameters:
        netuid = self._netuid(netuid)
        return await self._cached(
            "hyperparameters", ref, str(netuid), lambda: self.client.hyperparameters(netuid, ref)
        )

    async def subnet(self, ref: BlockRef, netuid: int | None = None) -> Subnet:
        netuid = self._netuid(netuid)
        return await self._cached(
            "subnet", ref, str(netuid), lambda: self.client.subnet(netuid, ref)
        )

    async def epoch(self, ref: BlockRef, netuid: int | None = None) -> Epoch:
        """The epoch containing `ref`, with the tempo the chain had at that block."""
        netuid = self._netuid(netuid)
        hyperparameters = await self.hyperparameters(ref, netuid)
        return epoch_at(
            ref.number,
            netuid,
            hyperparameters.tempo,
            commit_window_start_offset=self.settings.commit_window_start_offset,
            commit_window_end_buffer=self.settings.commit_window_end_buffer,
        )

    async def commitment(
        self, ref: BlockRef, hotkey: str, netuid: int | None = None
    ) -> Commitment | None:
        netuid = self._netuid(netuid)
        # Once the whole map is cached for this block, a single hotkey needs no chain call.
        every = await self._cache.get(self._key("commitments", ref, str(netuid)))
        if every is not None:
            metrics.CACHE_HITS.labels("commitment").inc()
            return next((c for c in every if c.hotkey == hotkey), None)
        return await self._cached(
            "commitment",
            ref,
            f"{netuid}:{hotkey}",
            lambda: self.client.commitment(netuid, hotkey, ref),
        )

    async def commitments(self, ref: BlockRef, netuid: int | None = None) -> tuple[Commitment, ...]:
        netuid = self._netuid(netuid)
        return await self._cached(
            "commitments", ref, str(netuid), lambda: self.client.commitments(netuid, ref)
        )

    async def chain_info(self) -> ChainInfo:
        if self._genesis_hash is None:
            self._genesis_hash = await self._shared(("genesis",), self.client.genesis_hash)
        head = await self._current_head()
        spec_version = await self._cached(
            "spec_version", head, "", lambda: self.client.spec_version(head.hash)
        )
        return ChainInfo(
            network=self.settings.network_label,
            simulated=self.settings.simulated,
            genesis_hash=self._genesis_hash,
            spec_version=spec_version,
        )

    # --- plumbing

    def _netuid(self, netuid: int | None) -> int:
        return self.netuid if netuid is None else netuid

    async def _current_head(self) -> BlockRef:
        if self._head is not None:
            return self._head
        # Before the follower's first head: ask the node, without moving the head pointer.
        return await self._shared(("finalized_head",), self.client.finalized_head)

    async def _shared(self, key: tuple[object, ...], load: Callable[[], Awaitable[T]]) -> T:
        """One call of `load` for concurrent askers of `key`; each gets its answer or error."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(load())
            self._flights[key] = flight
            flight.add_done_callback(functools.partial(self._landed, key))
        # Shielded: an asker that gives up does not cancel the others' call.
        return await asyncio.shield(flight)

    def _landed(self, key: tuple[object, ...], flight: asyncio.Future[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved here: every asker may have given up

    async def _resolve_hash(self, block_hash: str) -> BlockRef:
        number = self._numbers.get(block_hash)
        if number is None:
            metrics.CACHE_MISSES.labels("block_number").inc()
            number = await self.client.block_number(block_hash)
            if number is None:
                raise BlockNotFound(f"the node knows no block {block_hash}")
        else:
            metrics.CACHE_HITS.labels("block_number").inc()
        ref = BlockRef(number, block_hash)
        self._remember(self._numbers, block_hash, number)
        return ref

    def _remember_hash(self, ref: BlockRef) -> None:
        """Remember a block of the canonical chain up to the finalized head, both ways.

        (A block found by its hash may be on a fork or not final yet: it is remembered by
        hash only, so that it never answers for its number.)
        """
        self._remember(self._hashes, ref.number, ref.hash)
        self._remember(self._numbers, ref.hash, ref.number)

    def _remember(
        self, index: collections.OrderedDict[Any, Any], key: object, value: object
    ) -> None:
        index[key] = value
        index.move_to_end(key)
        while len(index) > 16 * self.settings.cache_blocks:
            index.popitem(last=False)

    def _key(self, kind: str, ref: BlockRef, detail: str) -> str:
        return f"{kind}:{ref.hash}:{detail}"

    async def _cached(
        self, kind: str, ref: BlockRef, detail: str, load: Callable[[], Awaitable[T]]
    ) -> T:
        key = self._key(kind, ref, detail)
        value = await self._cache.get(key)
        if value is None:
            async with RedLock(self._cache, key, lease=self._lease):
                # A concurrent miss may have filled it while this one waited.
                value = await self._cache.get(key)
                if value is None:
                    metrics.CACHE_MISSES.labels(kind).inc()
                    loaded = await load()
                    await self._store(ref.hash, key, _ABSENT if loaded is None else loaded)
                    return loaded
        metrics.CACHE_HITS.labels(kind).inc()
        if ref.hash in self._blocks:
            self._blocks.move_to_end(ref.hash)
        return cast(T, None if value is _ABSENT else value)

    async def _store(self, block_hash: str, key: str, value: object) -> None:
        await self._cache.set(key, value)
        self._blocks.setdefault(block_hash, set()).add(key)
        self._blocks.move_to_end(block_hash)
        while len(self._blocks) > self.settings.cache_blocks:
            _, keys = self._blocks.popitem(last=False)
            for old in keys:
                await self._cache.delete(old)
