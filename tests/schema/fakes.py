"""A small in-memory chain behind the `Reader` interface, for testing the schema alone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.chain.errors import BlockNotFound, FutureBlock
from pylon_gql.models import (
    RAO_PER_TAO,
    AxonInfo,
    Block,
    BlockRef,
    ChainInfo,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
    Neuron,
    PrometheusInfo,
    Subnet,
)
from pylon_gql.settings import Settings
from pylon_gql.validation import block_hash_problem, block_number_problem

NETUID = 1
TEMPO = 99
FIRST_BLOCK = 1000
GENESIS = "0x" + "ab" * 32


def account(seed: int) -> str:
    return ss58_encode(bytes([seed % 256, seed // 256]) + bytes(30), 42)


def block_hash(number: int) -> str:
    return f"0x{number:064x}"


def make_neuron(uid: int, last_update: int) -> Neuron:
    """Neuron `uid`, with metrics that differ between neurons and some ties."""
    return Neuron(
        uid=uid,
        hotkey=account(1000 + uid),
        coldkey=account(2000 + uid % 3),  # three owners
        active=uid % 4 != 0,
        axon=AxonInfo(
            ip=f"10.0.0.{uid}", port=8000 + uid, ip_type=4, protocol=4, version=900, block=500
        ),
        prometheus=PrometheusInfo(ip="0.0.0.0", port=0, ip_type=0, version=0, block=0),
        stake_rao=(uid * 7 % 5) * 123 * RAO_PER_TAO + uid,  # ties in TAO, exact in rao
        rank=(uid % 3) / 3,
        emission_rao=10**18 + uid,  # beyond a double's exact range
        incentive=(uid * 5 % 7) / 7,
        consensus=uid / 10,
        trust=0.5,
        validator_trust=(uid % 2) / 2,
        dividends=(uid * 3 % 4) / 4,
        last_update=last_update - uid,
        validator_permit=uid % 2 == 1,
        pruning_score=uid * 11 % 13,
    )


@dataclass
class FakeReader:
    """Blocks FIRST_BLOCK..head; a 10-neuron subnet; raises what the real reader raises."""

    head_number: int | None = FIRST_BLOCK + 10
    neuron_count: int = 10
    calls: list[str] = field(default_factory=list)
    fail_with: dict[str, Exception] = field(default_factory=dict)

    @property
    def head(self) -> BlockRef | None:
        if self.head_number is None:
            return None
        return BlockRef(self.head_number, block_hash(self.head_number))

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail_with:
            raise self.fail_with[name]

    def holds(self, number: int) -> bool:
        return True  # every block of the fake is at hand

    async def resolve(self, number: int | None = None, hash: str | None = None) -> BlockRef:
        self._call("resolve")
        head = self.head
        assert head is not None
        if number is None and hash is None:
            return head
        if hash is not None:
            if problem := block_hash_problem(hash):
                raise ValueError(problem)  # the reader's own rule
            n = int(hash, 16)
            if not FIRST_BLOCK <= n <= head.number:
                raise BlockNotFound(f"no block with hash {hash}")
            return BlockRef(n, hash)
        assert number is not None
        if problem := block_number_problem(number):
            raise ValueError(problem)
        if number > head.number:
            raise FutureBlock(number, head.number)
        return BlockRef(number, block_hash(number))

    async def block(self, ref: BlockRef) -> Block:
        self._call("block")
        return Block(
            number=ref.number,
            hash=ref.hash,
            parent_hash=block_hash(ref.number - 1),
            timestamp=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
            + datetime.timedelta(seconds=12 * ref.number),
        )

    async def metagraph(self, ref: BlockRef) -> Metagraph:
        self._call("metagraph")
        neurons = tuple(make_neuron(uid, ref.number) for uid in range(self.neuron_count))
        return Metagraph(netuid=NETUID, block=ref, neurons=neurons)

    async def hyperparameters(self, ref: BlockRef) -> Hyperparameters:
        self._call("hyperparameters")
        values: dict[str, Any] = {name: 7 for name in Hyperparameters.__dataclass_fields__}
        values.update(
            tempo=TEMPO,
            registration_allowed=True,
            commit_reveal_weights_enabled=False,
            liquid_alpha_enabled=True,
            difficulty=2**63 + 1,
            max_burn=100 * RAO_PER_TAO,
        )
        return Hyperparameters(**values)

    async def subnet(self, ref: BlockRef) -> Subnet:
        self._call("subnet")
        return Subnet(
            netuid=NETUID,
            name="apex",
            symbol="\u03b1",
            owner_hotkey=account(1),
            owner_coldkey=account(2),
            tempo=TEMPO,
        )

    async def epoch(self, ref: BlockRef) -> Epoch:
        self._call("epoch")
        until = TEMPO - (ref.number + NETUID + 1) % (TEMPO + 1)
        start = ref.number if until == 0 else ref.number + until - (TEMPO + 1)
        return Epoch(
            netuid=NETUID,
            tempo=TEMPO,
            index=(start + NETUID + 2) // (TEMPO + 1),
            start=start,
            end=start + TEMPO,
            block=ref.number,
            commit_window_start=start + 50,
            commit_window_end=start + TEMPO - 10,
        )

    def _commitments(self) -> tuple[Commitment, ...]:
        return (
            Commitment(hotkey=account(1000), block=900, data=b"hello"),
            Commitment(hotkey=account(1001), block=950, data=b"\xff\x00"),
        )

    async def commitment(self, ref: BlockRef, hotkey: str) -> Commitment | None:
        self._call("commitment")
        return next((c for c in self._commitments() if c.hotkey == hotkey), None)

    async def commitments(self, ref: BlockRef) -> tuple[Commitment, ...]:
        self._call("commitments")
        return self._commitments()

    async def chain_info(self) -> ChainInfo:
        self._call("chain_info")
        return ChainInfo(network="sim", simulated=True, genesis_hash=GENESIS, spec_version=318)


def make_settings(**values: Any) -> Settings:
    """Settings from the defaults and `values` only (no .env file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
