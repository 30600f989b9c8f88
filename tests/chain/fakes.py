"""A counting, scriptable stand-in for ChainClient, for narrow unit tests of reader and follower."""

from __future__ import annotations

import asyncio
import time
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from pylon_gql.chain.errors import BlockNotFound, SubnetNotFound, SubscriptionUnsupported
from pylon_gql.models import (
    AxonInfo,
    Block,
    BlockRef,
    Commitment,
    Hyperparameters,
    Metagraph,
    Neuron,
    PrometheusInfo,
)
from pylon_gql.models_block import BlockContent, RuntimeCatalog
from pylon_gql.models_metagraph import (
    ChainMatrix,
    MatrixKind,
    MatrixRow,
    NeuronStakes,
    PendingWeightCommit,
    RevealedCommitment,
    StakeLinks,
)
from pylon_gql.models_subnets import SubnetOverview


def block_hash(number: int) -> str:
    return f"0x{number:064x}"


def ref(number: int) -> BlockRef:
    return BlockRef(number, block_hash(number))


def hyperparameters(tempo: int) -> Hyperparameters:
    return Hyperparameters(
        rho=10, kappa=32767, immunity_period=5000, min_allowed_weights=1, max_weights_limit=65535,
        tempo=tempo, min_difficulty=1, max_difficulty=2, weights_version=0, weights_rate_limit=100,
        adjustment_interval=112, activity_cutoff=5000, registration_allowed=True,
        target_regs_per_interval=2, min_burn=500_000, max_burn=100_000_000_000,
        bonds_moving_avg=900_000, max_regs_per_block=1, serving_rate_limit=50, max_validators=64,
        adjustment_alpha=0, difficulty=1, commit_reveal_period=1,
        commit_reveal_weights_enabled=False, alpha_high=58982, alpha_low=45875,
        liquid_alpha_enabled=False,
    )  # fmt: skip


def neuron(uid: int) -> Neuron:
    axon = AxonInfo(ip="0.0.0.0", port=0, ip_type=4, protocol=4, version=0, block=0)
    prometheus = PrometheusInfo(ip="0.0.0.0", port=0, ip_type=4, version=0, block=0)
    return Neuron(
        uid=uid, hotkey=f"hotkey-{uid}", coldkey=f"coldkey-{uid}", active=True, axon=axon,
        prometheus=prometheus, stake_rao=uid * 10**9, rank=0.0, emission_rao=0, incentive=0.0,
        consensus=0.0, trust=0.0, validator_trust=0.0, dividends=0.0, last_update=0,
        validator_permit=False, pruning_score=0,
    )  # fmt: skip


class FakeChain:
    """Blocks 0..head with made-up hashes; every call counted as (name, block hash)."""

    def __init__(self, head: int = 100, tempo: Callable[[int], int] = lambda block: 360) -> None:
        self.head = head
        self.tempo = tempo
        self.calls: Counter[tuple[str, str]] = Counter()
        self.can_subscribe = True
        self.subscriptions: list[asyncio.Queue[int | Exception]] = []
        #: Awaited inside every metagraph call: lets a test hold a call open.
        self.metagraph_gate: Callable[[BlockRef], Awaitable[None]] | None = None
        #: Raised (once each) by the next calls, before they answer.
        self.failures: list[Exception] = []
        #: Subnets that exist (others raise SubnetNotFound).
        self.netuids = {1, 2}
        self.connect_callbacks: list[Callable[[], None]] = []

    def _count(self, name: str, key: str) -> None:
        self.calls[(name, key)] += 1
        if self.failures:
            raise self.failures.pop(0)

    def _known(self, ref: BlockRef) -> None:
        if ref.number > self.head or ref.hash != block_hash(ref.number):
            raise BlockNotFound(f"no block {ref.hash}")

    async def genesis_hash(self) -> str:
        self._count("genesis_hash", "")
        return block_hash(0)

    async def spec_version(self, block_hash: str) -> int:
        self._count("spec_version", block_hash)
        return 318

    async def finalized_head(self) -> BlockRef:
        self._count("finalized_head", "")
        return ref(self.head)

    async def block_hash(self, number: int) -> str | None:
        self._count("block_hash", str(number))
        return block_hash(number) if number <= self.head else None

    async def block_number(self, hash: str) -> int | None:
        self._count("block_number", hash)
        number = int(hash, 16)
        return number if number <= self.head and hash == block_hash(number) else None

    async def block(self, ref: BlockRef) -> Block:
        self._count("block", ref.hash)
        self._known(ref)
        return Block(ref.number, ref.hash, block_hash(max(ref.number - 1, 0)), None)

    def _subnet_exists(self, netuid: int, ref: BlockRef) -> None:
        if netuid not in self.netuids:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")

    async def metagraph(self, netuid: int, ref: BlockRef) -> Metagraph:
        self._count("metagraph", ref.hash)
        self._known(ref)
        self._subnet_exists(netuid, ref)
        await asyncio.sleep(0)  # let concurrent callers pile up on the miss
        if self.metagraph_gate is not None:
            await self.metagraph_gate(ref)
        return Metagraph(netuid=netuid, block=ref, neurons=tuple(neuron(uid) for uid in range(4)))

    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters:
        self._count("hyperparameters", ref.hash)
        self._known(ref)
        self._subnet_exists(netuid, ref)
        return hyperparameters(self.tempo(ref.number))

    async def subnet(self, netuid: int, ref: BlockRef) -> SubnetOverview:
        self._count("subnet", ref.hash)
        return SubnetOverview(
            netuid=netuid,
            block=ref,
            name="apex",
            symbol="alpha",
            owner_hotkey="owner-hot",
            owner_coldkey="owner-cold",
            tempo=self.tempo(ref.number),
            registered_at=1,
            last_step=ref.number,
            blocks_since_last_step=0,
            neuron_count=4,
            max_neurons=256,
            burn_rao=10**9,
            alpha_in_rao=0,
            alpha_out_rao=0,
            tao_in_rao=0,
            emission_rao=0,
            tao_in_emission_rao=0,
            alpha_in_emission_rao=0,
            alpha_out_emission_rao=0,
            moving_price=0.0,
            volume_rao=0,
        )

    async def commitment(self, netuid: int, hotkey: str, ref: BlockRef) -> Commitment | None:
        self._count("commitment", ref.hash)
        return Commitment(hotkey, 7, b"hello") if hotkey == "hotkey-1" else None

    async def commitments(self, netuid: int, ref: BlockRef) -> tuple[Commitment, ...]:
        self._count("commitments", ref.hash)
        self._known(ref)
        return (Commitment("hotkey-1", 7, b"hello"),)

    # --- the full metagraph (the reader's caching of it; the decoding is tested on the simnet)

    async def neuron_stakes(self, netuid: int, ref: BlockRef) -> NeuronStakes:
        self._count("neuron_stakes", ref.hash)
        self._known(ref)
        self._subnet_exists(netuid, ref)
        return NeuronStakes(netuid, ref, ())

    async def stake_links(self, netuid: int, hotkeys: Sequence[str], ref: BlockRef) -> StakeLinks:
        self._count("stake_links", ref.hash)
        return StakeLinks(netuid, ref, {})

    async def chain_matrix(
        self, netuid: int, kind: MatrixKind, size: int, ref: BlockRef, mechanism: int = 0
    ) -> ChainMatrix:
        self._count(f"chain_matrix:{kind.value}", ref.hash)
        self._known(ref)
        await asyncio.sleep(0)  # let concurrent callers pile up on the miss
        rows = tuple(
            MatrixRow(uid, array("H", range(size)), array("H", [1] * size)) for uid in range(size)
        )
        return ChainMatrix(netuid, mechanism, kind, ref, rows)

    async def pending_weight_commits(
        self, netuid: int, ref: BlockRef, mechanism: int = 0
    ) -> tuple[PendingWeightCommit, ...]:
        self._count("pending_weight_commits", ref.hash)
        return ()

    async def revealed_commitments(
        self, netuid: int, ref: BlockRef, hotkey: str | None = None
    ) -> tuple[RevealedCommitment, ...]:
        self._count("revealed_commitments", f"{ref.hash}:{hotkey}")
        found = (RevealedCommitment("hotkey-1", b"revealed", 5),)
        return tuple(c for c in found if hotkey in (None, c.hotkey))

    async def block_content(self, ref: BlockRef) -> BlockContent:
        self._count("block_content", ref.hash)
        self._known(ref)
        return BlockContent(ref, (), (), RuntimeCatalog({}, {}))

    # --- the connection: never unreachable (tests of a node that is down use the real client)

    @property
    def unreachable_for(self) -> float | None:
        return None

    def on_connect(self, callback: Callable[[], None]) -> None:
        self.connect_callbacks.append(callback)

    def reconnected(self) -> None:
        """A connection to the node opened (a query's read reconnected first, say)."""
        for callback in self.connect_callbacks:
            callback()

    # --- heads

    async def finalized_heads(self) -> AsyncIterator[int]:
        self._count("subscribe", "")
        if not self.can_subscribe:
            raise SubscriptionUnsupported("Method not found")
        queue: asyncio.Queue[int | Exception] = asyncio.Queue()
        self.subscriptions.append(queue)
        while True:
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            yield item

    async def announce(self, number: int) -> None:
        """The node finalizes up to `number` and tells the newest subscription."""
        self.head = max(self.head, number)
        await eventually(lambda: bool(self.subscriptions))
        self.subscriptions[-1].put_nowait(number)

    async def drop(self, error: Exception) -> None:
        await eventually(lambda: bool(self.subscriptions))
        self.subscriptions[-1].put_nowait(error)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until `predicate()` holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
