"""ChainReader: every chain read the schema makes, at an explicit block, cached per block hash.

What a block hash fixes never changes, so it is decoded once and served many times from
aiocache's memory backend. That backend has no size bound, so the reader bounds it itself: it
remembers which keys belong to which block and, past `settings.cache_blocks` blocks, drops the
keys of the least recently used block. Concurrent misses for one key are one chain call
(`SingleFlight`), and so are the reads not cached per block (a number's hash, the head before
the follower's first).

A block of the chain the server follows (its head, or a number it resolved) that the node does
not know means the node's chain has left the server's (a node restored from an earlier state,
or another node): that read is `ChainUnavailable` (retry), never `BlockNotFound` for the
server's own head, and the follower is told to look at the node now (it resets the head).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar, cast

from aiocache import SimpleMemoryCache
from cachetools import LRUCache, TTLCache

from .. import metrics
from ..models import (
    Block,
    BlockRef,
    ChainInfo,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
)
from ..models_block import BlockContent
from ..models_metagraph import (
    ChainMatrix,
    MatrixKind,
    Mechanisms,
    NeuronStakes,
    PendingWeightCommit,
    RevealedCommitment,
    StakeLinks,
)
from ..models_subnets import SubnetOverview
from ..settings import Settings
from ..singleflight import SingleFlight
from ..validation import block_hash_problem, block_number_problem
from .epochs import epoch_at
from .errors import BlockNotFound, ChainUnavailable, FutureBlock

logger = logging.getLogger(__name__)

T = TypeVar("T")

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
    async def subnet(self, netuid: int, ref: BlockRef) -> SubnetOverview: ...
    async def commitment(self, netuid: int, hotkey: str, ref: BlockRef) -> Commitment | None: ...
    async def commitments(self, netuid: int, ref: BlockRef) -> tuple[Commitment, ...]: ...
    # The full metagraph (`chain.full_reads`).
    async def neuron_stakes(self, netuid: int, ref: BlockRef) -> NeuronStakes: ...
    async def stake_links(
        self, netuid: int, hotkeys: Sequence[str], ref: BlockRef
    ) -> StakeLinks: ...
    async def chain_matrix(
        self, netuid: int, kind: MatrixKind, size: int, ref: BlockRef, mechanism: int = 0
    ) -> ChainMatrix: ...
    async def mechanisms(self, netuid: int, ref: BlockRef) -> Mechanisms: ...
    async def pending_weight_commits(
        self, netuid: int, ref: BlockRef, mechanism: int = 0
    ) -> tuple[PendingWeightCommit, ...]: ...
    async def revealed_commitments(
        self, netuid: int, ref: BlockRef, hotkey: str | None = None
    ) -> tuple[RevealedCommitment, ...]: ...
    async def block_content(self, ref: BlockRef) -> BlockContent: ...
    async def subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]: ...


#: Entries (uid, u16 pairs: 4 bytes each as kept) of weights and bonds matrices kept, apart
#: from the per-block cache: a full matrix of a 256-validator subnet holds 200,000 of them.
MATRIX_CACHE_ENTRIES = 4 * 2**20


class _Absent:
    """Stands for a cached None (aiocache reads None as a miss)."""


_ABSENT = _Absent()


class _BlockKeys(LRUCache[str, set[str]]):
    """Block hash -> its keys in the data cache; the keys of an evicted block wait in
    `evicted` for the reader to delete them (aiocache's delete is a coroutine)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.evicted: list[set[str]] = []

    def popitem(self) -> tuple[str, set[str]]:
        block_hash, keys = super().popitem()
        self.evicted.append(keys)
        return block_hash, keys


class ChainReader:
    def __init__(self, client: ChainSource, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.netuid = settings.netuid
        self._head: BlockRef | None = None
        # No timeout: aiocache's default (5 s) runs every get through `asyncio.wait_for`, which
        # on Python 3.11 drops a cancellation that lands as the get finishes, so a stopping
        # server could wait forever on a task that ignored its cancel. A memory get never waits.
        self._cache = SimpleMemoryCache(namespace=f"chain{next(_namespaces)}:", timeout=None)
        self._blocks = _BlockKeys(settings.cache_blocks)
        #: Resolved blocks, both ways, bounded apart from the data cache: unknown hashes are
        #: not remembered, so queries for made-up blocks cannot push real data out.
        self._hashes: LRUCache[int, str] = LRUCache(16 * settings.cache_blocks)
        self._numbers: LRUCache[str, int] = LRUCache(16 * settings.cache_blocks)
        self._genesis_hash: str | None = None
        #: One node call for concurrent askers of one read.
        self._flights: SingleFlight[tuple[object, ...], Any] = SingleFlight()
        #: Told when the node no longer knows a block of the followed chain (the follower).
        self._chain_left: list[Callable[[], None]] = []
        #: The blocks of the chain a reset left, for as long as a query that took one of them
        #: for its head may still read at it (its deadline): such a read is "retry", not "no
        #: such block". Later, a block of the old chain is just not the node's.
        self._left: TTLCache[str, int] = TTLCache(
            16 * settings.cache_blocks, settings.chain_timeout
        )
        #: Weights and bonds matrices, bounded by their entries (`MATRIX_CACHE_ENTRIES`).
        self._matrices: LRUCache[str, ChainMatrix] = LRUCache(
            MATRIX_CACHE_ENTRIES, getsizeof=lambda matrix: max(1, matrix.entries)
        )

    @property
    def head(self) -> BlockRef | None:
        """The latest finalized head the follower has seen (None before the first one)."""
        return self._head

    def set_head(self, ref: BlockRef) -> None:
        self._head = ref
        self._remember_hash(ref)

    def reset_head(self, ref: BlockRef) -> None:
        """The node follows another chain now (restored from an earlier state, or another
        node): numbers may name other blocks there. What a hash fixes stays cached."""
        for number, block_hash in self._hashes.items():
            self._left[block_hash] = number
        if self._head is not None:
            self._left[self._head.hash] = self._head.number
        self._hashes.clear()
        self.set_head(ref)

    def on_chain_left(self, callback: Callable[[], None]) -> None:
        """Call `callback` when a read finds that the node no longer knows a block of the chain
        the server follows (its finalized chain is another one now)."""
        self._chain_left.append(callback)

    def holds(self, number: int) -> bool:
        """Whether the cache holds data of block `number` (a read there costs no node call)."""
        block_hash = self._hashes.get(number)
        return block_hash is not None and block_hash in self._blocks

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
            if problem := block_hash_problem(hash):
                raise ValueError(problem)
            ref = await self._resolve_hash(hash.lower())
            if number is not None and number != ref.number:
                raise BlockNotFound(f"block {ref.hash} is number {ref.number}, not {number}")
            return ref
        if number is None:
            return await self._current_head()
        if problem := block_number_problem(number):
            raise ValueError(problem)
        head = await self._current_head()
        if number > head.number:
            raise FutureBlock(number, head.number)
        known = self._hashes.get(number)
        if known is not None:
            metrics.CACHE_HITS.labels("block_hash").inc()
            return BlockRef(number, known)
        metrics.CACHE_MISSES.labels("block_hash").inc()
        block_hash = await self._shared(
            ("block_hash", number), lambda: self.client.block_hash(number)
        )
        if block_hash is None:
            # At most the head, yet the node has no such block: either the node never had it
            # (a block before its first, as on the simnet's snapshot) or its finalized chain is
            # shorter now (restored from an earlier state). Only the node's own head tells
            # which; a stranger's query for a block that never was must not move the follower.
            node_head = await self._shared(("finalized_head",), self.client.finalized_head)
            if node_head.number < number:
                raise self._left_chain(f"block {number}")
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

    async def subnet(self, ref: BlockRef, netuid: int | None = None) -> SubnetOverview:
        """One subnet at the block, as `subnets` has it (one `get_dynamic_info` call and its
        storage, not every subnet's)."""
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

    # --- the full metagraph

    async def neuron_stakes(self, ref: BlockRef, netuid: int | None = None) -> NeuronStakes:
        """Every neuron's stake split, registration block and owner's identity."""
        netuid = self._netuid(netuid)
        return await self._cached(
            "neuron_stakes", ref, str(netuid), lambda: self.client.neuron_stakes(netuid, ref)
        )

    async def stake_links(self, ref: BlockRef, netuid: int | None = None) -> StakeLinks:
        """The parent and child hotkeys of the subnet's neurons."""
        netuid = self._netuid(netuid)
        metagraph = await self.metagraph(ref, netuid)
        hotkeys = [n.hotkey for n in metagraph.neurons]
        return await self._cached(
            "stake_links",
            ref,
            str(netuid),
            lambda: self.client.stake_links(netuid, hotkeys, ref),
        )

    async def chain_matrix(
        self, ref: BlockRef, kind: MatrixKind, mechanism: int = 0, netuid: int | None = None
    ) -> ChainMatrix:
        """The subnet's weights or bonds at the block: kept in a cache of its own, bounded by
        entries, not by blocks."""
        netuid = self._netuid(netuid)
        key = self._key(kind.value, ref, f"{netuid}:{mechanism}")
        found = self._matrices.get(key)
        if found is not None:
            metrics.CACHE_HITS.labels(kind.value.lower()).inc()
            return found
        metagraph = await self.metagraph(ref, netuid)
        size = len(metagraph.neurons)

        async def load() -> ChainMatrix:
            metrics.CACHE_MISSES.labels(kind.value.lower()).inc()
            matrix = await self._fetch(
                ref, lambda: self.client.chain_matrix(netuid, kind, size, ref, mechanism)
            )
            self._matrices[key] = matrix
            return matrix

        return await self._shared(("matrix", key), load)

    async def mechanisms(self, ref: BlockRef, netuid: int | None = None) -> Mechanisms:
        """The subnet's mechanism count and emission split at the block."""
        netuid = self._netuid(netuid)
        return await self._cached(
            "mechanisms", ref, str(netuid), lambda: self.client.mechanisms(netuid, ref)
        )

    async def pending_weight_commits(
        self, ref: BlockRef, netuid: int | None = None
    ) -> tuple[PendingWeightCommit, ...]:
        netuid = self._netuid(netuid)
        return await self._cached(
            "pending_weight_commits",
            ref,
            str(netuid),
            lambda: self.client.pending_weight_commits(netuid, ref),
        )

    async def revealed_commitments(
        self, ref: BlockRef, hotkey: str | None = None, netuid: int | None = None
    ) -> tuple[RevealedCommitment, ...]:
        """`hotkey`'s revealed commitments (every hotkey's when None)."""
        netuid = self._netuid(netuid)
        every = await self._cache.get(self._key("revealed_commitments", ref, str(netuid)))
        if hotkey is not None and every is not None:
            metrics.CACHE_HITS.labels("revealed_commitments").inc()
            return tuple(c for c in every if c.hotkey == hotkey)
        detail = str(netuid) if hotkey is None else f"{netuid}:{hotkey}"
        return await self._cached(
            "revealed_commitments",
            ref,
            detail,
            lambda: self.client.revealed_commitments(netuid, ref, hotkey),
        )

    async def block_content(self, ref: BlockRef) -> BlockContent:
        """The block's extrinsics and events."""
        return await self._cached("block_content", ref, "", lambda: self.client.block_content(ref))

    async def subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]:
        """Every subnet at the block (one `get_all_dynamic_info` call, one storage batch)."""
        return await self._cached("subnets", ref, "", lambda: self.client.subnets(ref))

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
        return await self._flights.run(key, load)

    async def _resolve_hash(self, block_hash: str) -> BlockRef:
        number = self._numbers.get(block_hash)
        if number is None:
            metrics.CACHE_MISSES.labels("block_number").inc()
            number = await self.client.block_number(block_hash)
            if number is None:
                raise BlockNotFound(f"the node knows no block {block_hash}")
        else:
            metrics.CACHE_HITS.labels("block_number").inc()
        self._numbers[block_hash] = number
        return BlockRef(number, block_hash)

    def _left_chain(self, block: str) -> ChainUnavailable:
        """The error for a read of `block` of the followed chain, which the node does not know:
        its finalized chain is another one now. The follower is told to look."""
        logger.info("the node does not know %s of the chain this server follows", block)
        for callback in self._chain_left:
            callback()
        return ChainUnavailable(
            f"the node no longer has {block} of the chain this server follows (it was restored "
            "from an earlier state, or is another node): the server is following the node's "
            "chain again; retry in a few seconds"
        )

    def _remember_hash(self, ref: BlockRef) -> None:
        """Remember a block of the canonical chain up to the finalized head, both ways.

        (A block found by its hash may be on a fork or not final yet: it is remembered by
        hash only, so that it never answers for its number.)
        """
        self._hashes[ref.number] = ref.hash
        self._numbers[ref.hash] = ref.number

    def _key(self, kind: str, ref: BlockRef, detail: str) -> str:
        return f"{kind}:{ref.hash}:{detail}"

    async def _cached(
        self, kind: str, ref: BlockRef, detail: str, load: Callable[[], Awaitable[T]]
    ) -> T:
        key = self._key(kind, ref, detail)
        value = await self._cache.get(key)
        if value is not None:
            metrics.CACHE_HITS.labels(kind).inc()
            self._blocks.get(ref.hash)  # the block was used: it is the last to go
            return cast(T, None if value is _ABSENT else value)
        led = False

        async def lead() -> T:
            nonlocal led
            led = True
            return await self._load(kind, ref, key, load)

        try:
            loaded = await self._shared(("data", key), lead)
        except Exception:
            if led:
                raise
            # The call this asker waited for failed (a dropped connection, say): it tries
            # again, as the leader of a new call or a waiter on one; each asker leads once.
            return await self._cached(kind, ref, detail, load)
        if not led:
            metrics.CACHE_HITS.labels(kind).inc()  # answered by another asker's call
        return loaded

    async def _load(
        self, kind: str, ref: BlockRef, key: str, load: Callable[[], Awaitable[T]]
    ) -> T:
        metrics.CACHE_MISSES.labels(kind).inc()
        loaded = await self._fetch(ref, load)
        await self._cache.set(key, _ABSENT if loaded is None else loaded)
        keys = self._blocks.get(ref.hash)
        if keys is None:
            keys = self._blocks[ref.hash] = set()  # may evict the least recently used block
        keys.add(key)
        evicted, self._blocks.evicted = self._blocks.evicted, []
        for old in evicted:
            for old_key in old:
                await self._cache.delete(old_key)
        return loaded

    async def _fetch(self, ref: BlockRef, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`, a block the node does not know told apart: the chain left (retry) or a
        block the server never took for its chain's."""
        try:
            return await load()
        except BlockNotFound as exc:
            if ref == self._head or self._hashes.get(ref.number) == ref.hash:
                # The node has left the chain the server follows, and the follower does not
                # know yet.
                raise self._left_chain(f"block {ref.number} {ref.hash}") from exc
            if self._left.get(ref.hash) == ref.number:
                # The follower has just reset the head: a query that took this block for its
                # head asks again and gets the new one.
                raise ChainUnavailable(
                    f"block {ref.number} {ref.hash} left the node's finalized chain while this "
                    "was being answered (the node was restored from an earlier state, or is "
                    "another node); retry: the server follows the node's chain now"
                ) from exc
            raise  # a block the server never took for its chain's (a made-up hash)
