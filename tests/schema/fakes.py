"""A small in-memory chain behind the `Reader` interface, for testing the schema alone."""

from __future__ import annotations

import datetime
from array import array
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
)
from pylon_gql.models_block import (
    BlockContent,
    ChainEvent,
    EventPhase,
    Extrinsic,
    RuntimeCatalog,
)
from pylon_gql.models_metagraph import (
    ChainMatrix,
    HotkeyLinks,
    Identity,
    MatrixKind,
    MatrixRow,
    Mechanisms,
    NeuronStake,
    NeuronStakes,
    PendingWeightCommit,
    RevealedCommitment,
    StakeLink,
    StakeLinks,
)
from pylon_gql.models_subnets import SubnetOverview
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

    async def metagraph(self, ref: BlockRef, netuid: int | None = None) -> Metagraph:
        self._call("metagraph")
        neurons = tuple(make_neuron(uid, ref.number) for uid in range(self.neuron_count))
        return Metagraph(netuid=NETUID, block=ref, neurons=neurons)

    async def hyperparameters(self, ref: BlockRef, netuid: int | None = None) -> Hyperparameters:
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

    async def subnet(self, ref: BlockRef, netuid: int | None = None) -> SubnetOverview:
        self._call("subnet")
        return self._subnets(ref)[1]

    async def epoch(self, ref: BlockRef, netuid: int | None = None) -> Epoch:
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

    async def commitment(
        self, ref: BlockRef, hotkey: str, netuid: int | None = None
    ) -> Commitment | None:
        self._call("commitment")
        return next((c for c in self._commitments() if c.hotkey == hotkey), None)

    async def commitments(self, ref: BlockRef, netuid: int | None = None) -> tuple[Commitment, ...]:
        self._call("commitments")
        return self._commitments()

    async def chain_info(self) -> ChainInfo:
        self._call("chain_info")
        return ChainInfo(network="sim", simulated=True, genesis_hash=GENESIS, spec_version=318)

    # --- the full metagraph: neuron `uid` has alpha uid, TAO 2 x uid; odd uids set weights

    async def neuron_stakes(self, ref: BlockRef, netuid: int | None = None) -> NeuronStakes:
        self._call("neuron_stakes")
        identity = Identity("apex", "https://apex.example", "", "", "", "", "")
        neurons = tuple(
            NeuronStake(
                uid=uid,
                alpha_stake_rao=uid * RAO_PER_TAO,
                tao_stake_rao=2 * uid * RAO_PER_TAO,
                total_stake_rao=(uid + uid // 2) * RAO_PER_TAO,
                registered_at=ref.number - 10 * uid,
                identity=identity if uid == 1 else None,
            )
            for uid in range(self.neuron_count)
        )
        return NeuronStakes(netuid=NETUID, block=ref, neurons=neurons)

    async def stake_links(self, ref: BlockRef, netuid: int | None = None) -> StakeLinks:
        self._call("stake_links")
        parent, child = account(1001), account(1003)
        links = {
            parent: HotkeyLinks(children=(StakeLink(child, 2**63),)),
            child: HotkeyLinks(parents=(StakeLink(parent, 2**63),)),
        }
        return StakeLinks(netuid=NETUID, block=ref, by_hotkey=links)

    async def chain_matrix(
        self, ref: BlockRef, kind: MatrixKind, mechanism: int = 0, netuid: int | None = None
    ) -> ChainMatrix:
        self._call(f"chain_matrix:{kind.value}")
        rows = tuple(
            MatrixRow(uid, array("H", [0, 2, 4]), array("H", [65535, uid * 1000, 1]))
            for uid in range(1, self.neuron_count, 2)
        )
        return ChainMatrix(netuid=NETUID, mechanism=mechanism, kind=kind, block=ref, rows=rows)

    async def mechanisms(self, ref: BlockRef, netuid: int | None = None) -> Mechanisms:
        """Two mechanisms, the split unset (an even split)."""
        self._call("mechanisms")
        return Mechanisms(netuid=NETUID, block=ref, count=2, split=None)

    async def pending_weight_commits(
        self, ref: BlockRef, netuid: int | None = None
    ) -> tuple[PendingWeightCommit, ...]:
        self._call("pending_weight_commits")
        return (PendingWeightCommit(account(1003), 42, ref.number - 1, 12345, b"\x01\x02"),)

    async def revealed_commitments(
        self, ref: BlockRef, hotkey: str | None = None, netuid: int | None = None
    ) -> tuple[RevealedCommitment, ...]:
        self._call("revealed_commitments")
        # kept SCALE-encoded, as the chain keeps a decrypted payload: a compact length first
        found = (RevealedCommitment(account(1005), b"\x20revealed", ref.number - 3),)
        return tuple(c for c in found if hotkey in (None, c.hotkey))

    async def subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]:
        self._call("subnets")
        return self._subnets(ref)

    def _subnets(self, ref: BlockRef) -> tuple[SubnetOverview, ...]:
        """Subnets 0 (root) and NETUID, a pool of 10 TAO against 40 alpha."""
        rao = RAO_PER_TAO
        return tuple(
            SubnetOverview(
                netuid=netuid,
                block=ref,
                name=name,
                symbol="\u03b1",
                owner_hotkey=account(1),
                owner_coldkey=account(2),
                tempo=TEMPO,
                registered_at=10,
                last_step=ref.number - 1,
                blocks_since_last_step=1,
                neuron_count=self.neuron_count if netuid else 64,
                max_neurons=256,
                burn_rao=rao,
                alpha_in_rao=40 * rao,
                alpha_out_rao=60 * rao,
                tao_in_rao=10 * rao,
                emission_rao=rao // 2,
                tao_in_emission_rao=rao // 4,
                alpha_in_emission_rao=rao,
                alpha_out_emission_rao=rao,
                moving_price=0.25,
                volume_rao=1000 * rao,
            )
            for netuid, name in ((0, "root"), (NETUID, "apex"))
        )

    async def block_content(self, ref: BlockRef) -> BlockContent:
        self._call("block_content")
        signer = account(1001)
        extrinsics = (
            Extrinsic(
                0,
                "0x" + "00" * 32,
                "Timestamp",
                "set",
                None,
                None,
                None,
                {"now": 1},
                True,
                None,
                None,
            ),
            Extrinsic(
                1,
                "0x" + "11" * 32,
                "SubtensorModule",
                "set_mechanism_weights",
                signer,
                4,
                0,
                {"netuid": NETUID},
                True,
                None,
                1000,
            ),
            Extrinsic(
                2,
                "0x" + "22" * 32,
                "SubtensorModule",
                "set_mechanism_weights",
                signer,
                5,
                0,
                {"netuid": NETUID},
                False,
                "SubtensorModule.SettingWeightsTooFast",
                None,
            ),
        )
        events = (
            ChainEvent(0, EventPhase.APPLY_EXTRINSIC, 0, "System", "ExtrinsicSuccess", {}),
            ChainEvent(
                1, EventPhase.APPLY_EXTRINSIC, 1, "SubtensorModule", "WeightsSet", [NETUID, 1]
            ),
            ChainEvent(2, EventPhase.APPLY_EXTRINSIC, 1, "System", "ExtrinsicSuccess", {}),
            ChainEvent(3, EventPhase.APPLY_EXTRINSIC, 2, "System", "ExtrinsicFailed", {}),
            ChainEvent(4, EventPhase.FINALIZATION, None, "System", "Remarked", {}),
        )
        catalog = RuntimeCatalog(
            calls={
                "Timestamp": frozenset({"set"}),
                "SubtensorModule": frozenset({"set_mechanism_weights", "commit_weights"}),
            },
            events={
                "System": frozenset({"ExtrinsicSuccess", "ExtrinsicFailed", "Remarked"}),
                "SubtensorModule": frozenset({"WeightsSet"}),
            },
        )
        return BlockContent(ref, extrinsics, events, catalog)


def make_settings(**values: Any) -> Settings:
    """Settings from the defaults and `values` only (no .env file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
