"""The simulated chain: blocks, per-block state, and the deterministic drift between blocks.

Each produced block holds an immutable `BlockState`. The next block is derived copy-on-write:
unchanged neuron records, commitments and weights are shared between blocks, so keeping 256
blocks costs little more than one. The write path (`extrinsics.py`) builds the next state the
same way after the drift: the pool's transactions replace the records they touch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from scalecodec.utils.ss58 import ss58_encode

from .runtime import Runtime, load_fixture_json
from .scale import decode_compact, encode_compact

if TYPE_CHECKING:
    from .extrinsics import Transaction

SNAPSHOT_FIXTURE = "finney-netuid1-block6852690.json"
# finney's genesis block; the simnet has no blocks between genesis and the snapshot
GENESIS_HASH = "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03"
RAO = 1_000_000_000

# well-known substrate development keys (sr25519 public keys of the URIs)
DEV_ACCOUNTS: dict[str, bytes] = {
    "//Alice": bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"),
    "//Bob": bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"),
    "//Charlie": bytes.fromhex("90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22"),
}
DEV_ROLES: dict[str, str] = {
    "owner_coldkey": "//Alice",
    "owner_hotkey": "//Alice",
    "validator_hotkey": "//Bob",
    "validator_coldkey": "//Charlie",
}
OWNER_KEY = DEV_ACCOUNTS["//Alice"]
# the Sudo pallet's key, as on a development chain
SUDO_KEY = DEV_ACCOUNTS["//Alice"]
VALIDATOR_HOTKEY = DEV_ACCOUNTS["//Bob"]
VALIDATOR_COLDKEY = DEV_ACCOUNTS["//Charlie"]
VALIDATOR_STAKE = 250_000 * RAO
# a drand quicknet round near the snapshot's time (rounds are 3 s apart)
DRAND_ROUND_AT_SNAPSHOT = 20_000_000


def dev_keys() -> dict[str, tuple[str, str]]:
    """role -> (secret URI, SS58 address)."""
    return {role: (uri, ss58_encode(DEV_ACCOUNTS[uri], 42)) for role, uri in DEV_ROLES.items()}


class Neuron:
    """One uid of a subnet: its NeuronInfoLite value and those bytes, encoded once.

    `extra` holds what `get_subnet_state` reports beside the lite fields. Never mutate a
    Neuron: `replace` makes a new one (blocks share the old one).
    """

    __slots__ = ("encoded", "extra", "lite")

    def __init__(self, lite: dict[str, Any], extra: dict[str, Any], encoded: bytes) -> None:
        self.lite = lite
        self.extra = extra
        self.encoded = encoded

    def replace(self, runtime: Runtime, lite_type: int, **changes: Any) -> Neuron:
        lite = {**self.lite}
        extra = {**self.extra}
        for name, value in changes.items():
            if name in lite:
                lite[name] = value
            else:
                extra[name] = value
        return Neuron(lite, extra, runtime.codec.encode(lite_type, lite))

    @property
    def uid(self) -> int:
        return self.lite["uid"]

    @property
    def hotkey(self) -> bytes:
        return self.lite["hotkey"]

    @property
    def total_stake(self) -> int:
        return sum(amount for _, amount in self.lite["stake"])


@dataclasses.dataclass(frozen=True)
class Subnet:
    netuid: int
    name: str
    symbol: str
    owner_hotkey: bytes
    owner_coldkey: bytes
    registered_at: int
    hyperparameters: Mapping[str, Any]
    identity: Mapping[str, bytes] | None
    neurons: tuple[Neuron, ...]
    # hotkey -> Registration value (Commitments.CommitmentOf)
    commitments: Mapping[bytes, Any]
    # uid -> [(uid, u16 weight)] (SubtensorModule.Weights)
    weights: Mapping[int, list[list[int]]]
    # epoch -> [(hotkey, commit block, ciphertext, reveal round)] (TimelockedWeightCommits)
    weight_commits: Mapping[int, list[list[Any]]]
    emission_history: list[list[int]]
    pool: Mapping[str, int]

    def uid_of(self, hotkey: bytes) -> int | None:
        for neuron in self.neurons:
            if neuron.hotkey == hotkey:
                return neuron.uid
        return None


@dataclasses.dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    state_root: str
    extrinsics_root: str
    logs: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "parentHash": self.parent_hash,
            "number": hex(self.number),
            "stateRoot": self.state_root,
            "extrinsicsRoot": self.extrinsics_root,
            "digest": {"logs": list(self.logs)},
        }


def header_hash(
    parent_hash: str, number: int, state_root: str, extrinsics_root: str, logs: Iterable[str]
) -> str:
    """A block hash as substrate makes it: blake2-256 of the SCALE-encoded header."""
    logs = list(logs)
    encoded = (
        bytes.fromhex(parent_hash[2:])
        + encode_compact(number)
        + bytes.fromhex(state_root[2:])
        + bytes.fromhex(extrinsics_root[2:])
        + encode_compact(len(logs))
        + b"".join(bytes.fromhex(log[2:]) for log in logs)
    )
    return "0x" + hashlib.blake2b(encoded, digest_size=32).hexdigest()


@dataclasses.dataclass
class BlockState:
    """Everything the simnet answers about one block. Frozen by convention once produced."""

    header: BlockHeader
    timestamp: int  # ms
    slot: int
    subnets: dict[int, Subnet]
    accounts: dict[bytes, dict[str, Any]]
    stake_threshold: int
    # System.Events records of the signed extrinsics (the timestamp inherent's are implied)
    events: tuple[dict[str, Any], ...] = ()

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def hash(self) -> str:
        return self.header.hash


def _key_from(seed: int, *parts: Any) -> bytes:
    return hashlib.blake2b(
        repr((seed, *parts)).encode(), digest_size=32, person=b"pylon-simnet"
    ).digest()


class Snapshot:
    """The real finney block 6852690 and subnet 1 at it, decoded once per process."""

    def __init__(self, runtime: Runtime) -> None:
        fixture = load_fixture_json(SNAPSHOT_FIXTURE)
        self.fixture = fixture
        self.number: int = fixture["block_number"]
        header = fixture["header"]
        self.header = BlockHeader(
            number=int(header["number"], 16),
            hash=fixture["block_hash"],
            parent_hash=header["parentHash"],
            state_root=header["stateRoot"],
            extrinsics_root=header["extrinsicsRoot"],
            logs=tuple(header["digest"]["logs"]),
        )
        calls = {call["method"]: call for call in fixture["state_call"]}
        self.results = {name: bytes.fromhex(call["result"][2:]) for name, call in calls.items()}
        # aura pre-runtime digest: 0x06 'aura' compact(8) slot(u64 le)
        aura = bytes.fromhex(self.header.logs[0][2:])
        self.slot = int.from_bytes(aura[-8:], "little")

        neurons_type = runtime.methods["NeuronInfoRuntimeApi_get_neurons_lite"].output
        self.lite_type = runtime.codec.type_def(neurons_type)["def"]["sequence"]["type"]
        raw = self.results["NeuronInfoRuntimeApi_get_neurons_lite"]
        decode_one = runtime.codec.decoder(self.lite_type)
        count, offset = decode_compact(raw, 0)
        lites: list[tuple[dict[str, Any], bytes]] = []
        for _ in range(count):
            lite, end = decode_one(raw, offset)
            lites.append((lite, raw[offset:end]))
            offset = end
        state_type = runtime.methods["SubnetInfoRuntimeApi_get_subnet_state"].output
        state = runtime.codec.decode(
            state_type, self.results["SubnetInfoRuntimeApi_get_subnet_state"]
        )
        self.subnet_state = state
        self.neurons = tuple(
            Neuron(
                lite,
                {
                    "block_at_registration": state["block_at_registration"][i],
                    "alpha_stake": state["alpha_stake"][i],
                    "tao_stake": state["tao_stake"][i],
                    "total_stake": state["total_stake"][i],
                },
                encoded,
            )
            for i, (lite, encoded) in enumerate(lites)
        )
        graph_type = runtime.methods["SubnetInfoRuntimeApi_get_selective_mechagraph"].output
        self.mechagraph = runtime.codec.decode(
            graph_type, self.results["SubnetInfoRuntimeApi_get_selective_mechagraph"]
        )


HYPERPARAMETER_NAMES = (
    "rho",
    "kappa",
    "immunity_period",
    "min_allowed_weights",
    "max_weights_limit",
    "tempo",
    "min_difficulty",
    "max_difficulty",
    "weights_version",
    "weights_rate_limit",
    "adjustment_interval",
    "activity_cutoff",
    "registration_allowed",
    "target_regs_per_interval",
    "min_burn",
    "max_burn",
    "bonds_moving_avg",
    "max_regs_per_block",
    "serving_rate_limit",
    "max_validators",
    "adjustment_alpha",
    "difficulty",
    "commit_reveal_period",
    "commit_reveal_weights_enabled",
    "alpha_high",
    "alpha_low",
    "liquid_alpha_enabled",
)


def simnet_hyperparameters(base: Mapping[str, Any]) -> dict[str, Any]:
    """The simnet's own hyperparameters: real subnet 1 values, tempo 360, commit-reveal on."""
    params = {name: base[name] for name in HYPERPARAMETER_NAMES}
    params.update(
        tempo=360,
        commit_reveal_weights_enabled=True,
        commit_reveal_period=1,
        weights_rate_limit=100,
        # extra fields of SubnetHyperparamsV2
        alpha_sigmoid_steepness={"bits": 1000 << 32},
        yuma_version=2,
        subnet_is_active=True,
        transfers_enabled=True,
        bonds_reset_enabled=False,
        user_liquidity_enabled=False,
    )
    return params


def _registration(block: int, data: list[Any]) -> dict[str, Any]:
    return {"deposit": 0, "block": block, "info": {"fields": data}}


def _raw(data: bytes) -> dict[str, bytes]:
    return {f"Raw{len(data)}": data}


class World:
    """The simnet's chain: produces blocks, keeps the headers, and the states of recent blocks."""

    def __init__(
        self,
        runtime: Runtime,
        snapshot: Snapshot,
        *,
        seed: int = 0,
        block_time: float = 12.0,
        finality_lag: int = 2,
        history: int = 256,
        archive: bool = False,
        start_timestamp_ms: int | None = None,
        synthetic_neurons: int = 256,
    ) -> None:
        self.runtime = runtime
        self.snapshot = snapshot
        self.seed = seed
        self.block_time_ms = round(block_time * 1000)
        self.finality_lag = finality_lag
        self.history = max(1, history)
        self.archive = archive
        self.lite_type = snapshot.lite_type
        self.headers: dict[str, BlockHeader] = {}
        self.hash_by_number: dict[int, str] = {}
        self.states: dict[str, BlockState] = {}
        # block hash -> the signed extrinsics in its body (kept like headers, never pruned)
        self.bodies: dict[str, tuple[bytes, ...]] = {}
        # valid transactions waiting for the next block, in arrival order
        self.pool: list[Transaction] = []
        self.genesis_hash = GENESIS_HASH
        from .extrinsics import Dispatcher

        self.dispatcher = Dispatcher(runtime, self)
        if start_timestamp_ms is None:
            start_timestamp_ms = int(time.time() * 1000)
        first = self._first_state(start_timestamp_ms, synthetic_neurons)
        self._keep(first)
        self.head = first
        self.first_number = first.number
        self.finalized_number = first.number

    # -- chain navigation ---------------------------------------------------------------------

    @property
    def head_number(self) -> int:
        return self.head.number

    @property
    def finalized_hash(self) -> str:
        return self.hash_by_number[self.finalized_number]

    def state_of(self, block_hash: str) -> BlockState | None:
        return self.states.get(block_hash)

    def is_pruned(self, block_hash: str) -> bool:
        return block_hash in self.headers and block_hash not in self.states

    def _keep(self, state: BlockState) -> None:
        self.headers[state.hash] = state.header
        self.hash_by_number[state.number] = state.hash
        self.states[state.hash] = state

    def _prune(self) -> None:
        """Like a pruned node: keep the state of the last `history` finalized blocks and of
        every block above them; headers and bodies stay."""
        if self.archive:
            return
        number = self.finalized_number - self.history
        while True:
            stale = self.hash_by_number.get(number)
            if stale is None or self.states.pop(stale, None) is None:
                break
            number -= 1

    def account_nonce(self, account: bytes) -> int:
        """The account's nonce at the best block (System.Account), 0 for an unknown one."""
        info = self.head.accounts.get(account)
        return 0 if info is None else info["nonce"]

    def next_index(self, account: bytes) -> int:
        """What system_accountNextIndex answers: the nonce after the pool's transactions."""
        pending = sum(1 for t in self.pool if t.signer == account)
        return self.account_nonce(account) + pending

    def submit(self, transaction: Transaction) -> None:
        """Queue a checked transaction for the next block."""
        self.pool.append(transaction)

    def produce(self) -> tuple[BlockState, list[BlockHeader]]:
        """Produce one block (with the pool's transactions); return it and the headers it
        newly finalized, oldest first."""
        transactions, self.pool = self.pool, []
        state = self._next_state(self.head, transactions)
        self._keep(state)
        self.bodies[state.hash] = tuple(t.data for t in transactions)
        self.head = state
        finalized = []
        target = max(self.first_number, state.number - self.finality_lag)
        while self.finalized_number < target:
            self.finalized_number += 1
            finalized.append(self.headers[self.hash_by_number[self.finalized_number]])
        self._prune()
        return state, finalized

    # -- the first block ------------------------------------------------------------------------

    def _first_state(self, timestamp_ms: int, synthetic_neurons: int) -> BlockState:
        snapshot = self.snapshot
        graph = snapshot.mechagraph
        hyperparameters = simnet_hyperparameters(graph)
        number = snapshot.number
        neurons = snapshot.neurons
        # a few commitments on subnet 1: text, text, and one binary blob
        commitments = {
            neurons[24].hotkey: _registration(number - 1200, [_raw(b"https://apex.example/v1")]),
            neurons[101].hotkey: _registration(number - 300, [_raw(b'{"model":"apex-7b"}')]),
            neurons[5].hotkey: _registration(number - 50, [_raw(bytes(range(0xF0, 0x100)))]),
        }
        subnet1 = Subnet(
            netuid=1,
            name=bytes(graph["name"]).decode(),
            symbol=bytes(graph["symbol"]).decode(),
            owner_hotkey=OWNER_KEY,
            owner_coldkey=OWNER_KEY,
            registered_at=graph["network_registered_at"],
            hyperparameters=hyperparameters,
            identity={
                "subnet_name": b"Apex (simnet)",
                "github_repo": b"https://github.com/macrocosm-os/apex",
                "subnet_contact": b"",
                "subnet_url": b"",
                "discord": b"",
                "description": b"subnet 1 of the pylon-gql simnet, from a finney snapshot",
                "logo_url": b"",
                "additional": b"",
            },
            neurons=neurons,
            commitments=commitments,
            weights=self._initial_weights(neurons),
            weight_commits={},
            emission_history=snapshot.subnet_state["emission_history"],
            pool={
                "alpha_in": graph["alpha_in"],
                "alpha_out": graph["alpha_out"],
                "tao_in": graph["tao_in"],
                "subnet_volume": graph["subnet_volume"],
                "moving_price": graph["moving_price"]["bits"],
            },
        )
        subnet2 = self._synthetic_subnet(2, synthetic_neurons, number, hyperparameters)
        accounts = {
            key: {
                "nonce": 0,
                "consumers": 0,
                "providers": 1,
                "sufficients": 0,
                "data": {"free": 1_000_000 * RAO, "reserved": 0, "frozen": 0, "flags": 1 << 127},
            }
            for key in DEV_ACCOUNTS.values()
        }
        return BlockState(
            header=snapshot.header,
            timestamp=timestamp_ms,
            slot=snapshot.slot,
            subnets={1: subnet1, 2: subnet2},
            accounts=accounts,
            stake_threshold=1000 * RAO,
        )

    def _initial_weights(self, neurons: tuple[Neuron, ...]) -> dict[int, list[list[int]]]:
        """Weights of every validator: a seeded spread over the first miners with incentive."""
        miners = [n.uid for n in neurons if not n.lite["validator_permit"]][:64]
        weights: dict[int, list[list[int]]] = {}
        for neuron in neurons:
            if not neuron.lite["validator_permit"]:
                continue
            rng = random.Random(f"{self.seed}:weights:{neuron.uid}")
            chosen = sorted(rng.sample(miners, min(16, len(miners))))
            raw = [rng.randint(1, 65535) for _ in chosen]
            top = max(raw)
            weights[neuron.uid] = [
                [uid, round(w * 65535 / top)] for uid, w in zip(chosen, raw, strict=True)
            ]
        return weights

    def _synthetic_subnet(
        self, netuid: int, size: int, number: int, hyperparameters: Mapping[str, Any]
    ) -> Subnet:
        rng = random.Random(f"{self.seed}:subnet:{netuid}")
        validator_count = min(8, size)
        neurons = []
        for uid in range(size):
            validator = uid < validator_count
            if uid == 0:
                hotkey, coldkey = VALIDATOR_HOTKEY, VALIDATOR_COLDKEY
            else:
                hotkey = _key_from(self.seed, netuid, uid, "hotkey")
                coldkey = _key_from(self.seed, netuid, uid, "coldkey")
            stake = (
                VALIDATOR_STAKE
                if uid == 0
                else (
                    rng.randint(10_000, 500_000) * RAO if validator else rng.randint(0, 2_000) * RAO
                )
            )
            lite = {
                "hotkey": hotkey,
                "coldkey": coldkey,
                "uid": uid,
                "netuid": netuid,
                "active": True,
                "axon_info": {
                    "block": number - rng.randint(100, 50_000),
                    "version": 9011001,
                    "ip": (10 << 24) + (netuid << 16) + uid + 1,
                    "port": 8091,
                    "ip_type": 4,
                    "protocol": 4,
                    "placeholder1": 0,
                    "placeholder2": 0,
                },
                "prometheus_info": {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0},
                "stake": [[coldkey, stake]],
                "rank": 0 if validator else rng.randint(0, 4000),
                "emission": rng.randint(0, 3 * RAO) // 100,
                "incentive": 0 if validator else rng.randint(0, 4000),
                "consensus": 0 if validator else rng.randint(0, 4000),
                "trust": 0 if validator else rng.randint(0, 65535),
                "validator_trust": rng.randint(40_000, 65535) if validator else 0,
                "dividends": rng.randint(1_000, 20_000) if validator else 0,
                "last_update": number - rng.randint(0, 100),
                "validator_permit": validator,
                "pruning_score": rng.randint(0, 65535),
            }
            if uid == 0:
                # //Bob last wrote weights a tempo before the snapshot: outside the rate limit
                lite["last_update"] = number - 360
            extra = {
                "block_at_registration": number - rng.randint(1_000, 200_000),
                "alpha_stake": stake,
                "tao_stake": 0,
                "total_stake": stake,
            }
            neurons.append(Neuron(lite, extra, self.runtime.codec.encode(self.lite_type, lite)))
        commitments = {
            neurons[9].hotkey: _registration(number - 10, [_raw(b"hello from simnet subnet 2")]),
            neurons[10].hotkey: _registration(number - 20, [_raw(b"\x00\x01\x02\xfe\xff")]),
            neurons[0].hotkey: _registration(number - 5, [_raw(b"validator //Bob")]),
        }
        # one validator has a commit-reveal commit pending in the current epoch
        tempo = hyperparameters["tempo"]
        epoch = (number + netuid + 1) // (tempo + 1)
        committer = neurons[min(1, size - 1)]
        weight_commits = {
            epoch: [
                [
                    committer.hotkey,
                    number - 3,
                    bytes(rng.getrandbits(8) for _ in range(96)),
                    DRAND_ROUND_AT_SNAPSHOT + 3 * 120,
                ]
            ]
        }
        return Subnet(
            netuid=netuid,
            name=f"simnet-{netuid}",
            symbol="β",
            owner_hotkey=OWNER_KEY,
            owner_coldkey=OWNER_KEY,
            registered_at=number - 100_000,
            hyperparameters=dict(hyperparameters),
            identity=None,
            neurons=tuple(neurons),
            commitments=commitments,
            weights=self._initial_weights(tuple(neurons)),
            weight_commits=weight_commits,
            emission_history=[],
            pool={
                "alpha_in": 1_000_000 * RAO,
                "alpha_out": 400_000 * RAO,
                "tao_in": 10_000 * RAO,
                "subnet_volume": 0,
                "moving_price": 1 << 32,
            },
        )

    # -- drift ---------------------------------------------------------------------------

    def _next_state(
        self, previous: BlockState, transactions: list[Transaction] | None = None
    ) -> BlockState:
        number = previous.number + 1
        subnets = {
            netuid: _age_commits(self._drift(subnet, number), number)
            for netuid, subnet in previous.subnets.items()
        }
        accounts = previous.accounts
        events: tuple[dict[str, Any], ...] = ()
        if transactions:
            from .extrinsics import Block

            block = Block(number, subnets, {**accounts})
            # extrinsic 0 is the timestamp inherent
            events = tuple(self.dispatcher.apply(block, transactions, first_index=1))
            subnets, accounts = block.subnets, block.accounts
        slot = previous.slot + 1
        aura = "0x" + (b"\x06aura\x20" + slot.to_bytes(8, "little")).hex()
        state_root = "0x" + _key_from(self.seed, "state", number, previous.header.state_root).hex()
        extrinsics_root = "0x" + _key_from(self.seed, "extrinsics", number).hex()
        if transactions:
            extrinsics_root = (
                "0x"
                + _key_from(self.seed, "extrinsics", number, [t.hash for t in transactions]).hex()
            )
            state_root = "0x" + _key_from(self.seed, "state", number, state_root, events).hex()
        block_hash = header_hash(previous.hash, number, state_root, extrinsics_root, [aura])
        header = BlockHeader(
            number=number,
            hash=block_hash,
            parent_hash=previous.hash,
            state_root=state_root,
            extrinsics_root=extrinsics_root,
            logs=(aura,),
        )
        return BlockState(
            header=header,
            timestamp=previous.timestamp + self.block_time_ms,
            slot=slot,
            subnets=subnets,
            accounts=accounts,
            stake_threshold=previous.stake_threshold,
            events=events,
        )

    def _drift(self, subnet: Subnet, number: int) -> Subnet:
        """Move a subnet one block on: validators set weights (last_update), emissions and
        stake wobble, and now and then a miner is deregistered and its uid re-registered."""
        rng = random.Random(f"{self.seed}:drift:{subnet.netuid}:{number}")
        neurons = list(subnet.neurons)
        changed: dict[int, dict[str, Any]] = {}
        protected = {n.uid for n in neurons if n.hotkey == VALIDATOR_HOTKEY}

        if subnet.netuid == 1 and not protected:
            uid = self._validator_slot(neurons)
            neurons[uid] = self._register_validator(neurons[uid], number)
            protected.add(uid)

        # validators set weights every 10 blocks, staggered by uid: a new row, a new last_update
        new_rows: dict[int, list[list[int]]] = {}
        for neuron in neurons:
            if neuron.uid in protected or not neuron.lite["validator_permit"]:
                continue
            if (number + neuron.uid) % 10 == 0:
                changed.setdefault(neuron.uid, {})["last_update"] = number
                row = subnet.weights.get(neuron.uid)
                if row is not None:
                    new_rows[neuron.uid] = _wobble_weights(rng, row)
        weights = {**subnet.weights, **new_rows} if new_rows else subnet.weights

        candidates = [n.uid for n in neurons if n.uid not in protected]
        for uid in rng.sample(candidates, min(8, len(candidates))):
            lite = neurons[uid].lite
            change = changed.setdefault(uid, {})
            for name in ("incentive", "dividends", "consensus", "rank", "trust"):
                if lite[name]:
                    change[name] = _wobble_u16(rng, lite[name])
            if lite["emission"]:
                change["emission"] = max(0, round(lite["emission"] * rng.uniform(0.95, 1.05)))
            stake = lite["stake"]
            if stake and stake[0][1]:
                amount = max(0, round(stake[0][1] * rng.uniform(0.99, 1.01)))
                change["stake"] = [[stake[0][0], amount], *stake[1:]]
                change["alpha_stake"] = amount
                change["total_stake"] = amount + neurons[uid].extra["tao_stake"]

        for uid, change in changed.items():
            neurons[uid] = neurons[uid].replace(self.runtime, self.lite_type, **change)

        commitments = subnet.commitments
        if rng.random() < 1 / 25:
            miners = [
                n.uid
                for n in neurons
                if n.uid not in protected
                and not n.lite["validator_permit"]
                # a hotkey registered by an extrinsic is immune for immunity_period blocks
                and n.extra.get("immune_until", 0) <= number
            ]
            if miners:
                uid = rng.choice(miners)
                old = neurons[uid]
                neurons[uid] = self._reregister(old, subnet.netuid, number)
                if old.hotkey in commitments:
                    commitments = {k: v for k, v in commitments.items() if k != old.hotkey}
        return dataclasses.replace(
            subnet, neurons=tuple(neurons), commitments=commitments, weights=weights
        )

    def _validator_slot(self, neurons: list[Neuron]) -> int:
        """The uid //Bob takes on subnet 1: the lowest-stake miner (lowest uid on a tie)."""
        miners = [n for n in neurons if not n.lite["validator_permit"]]
        return min(miners, key=lambda n: (n.total_stake, n.uid)).uid

    def _register_validator(self, old: Neuron, number: int) -> Neuron:
        return old.replace(
            self.runtime,
            self.lite_type,
            hotkey=VALIDATOR_HOTKEY,
            coldkey=VALIDATOR_COLDKEY,
            active=True,
            stake=[[VALIDATOR_COLDKEY, VALIDATOR_STAKE]],
            rank=0,
            emission=0,
            incentive=0,
            consensus=0,
            trust=0,
            validator_trust=0,
            dividends=0,
            last_update=number,
            validator_permit=True,
            pruning_score=0,
            block_at_registration=number,
            alpha_stake=VALIDATOR_STAKE,
            tao_stake=0,
            total_stake=VALIDATOR_STAKE,
        )

    def _reregister(self, old: Neuron, netuid: int, number: int) -> Neuron:
        hotkey = _key_from(self.seed, netuid, number, old.uid, "new-hotkey")
        coldkey = _key_from(self.seed, netuid, number, old.uid, "new-coldkey")
        return self.register_neuron(old, hotkey, coldkey, number)

    def register_neuron(self, old: Neuron, hotkey: bytes, coldkey: bytes, number: int) -> Neuron:
        """The uid of `old` taken by a new hotkey (a fresh neuron: no stake, no axon)."""
        axon = {**old.lite["axon_info"], "block": 0, "ip": 0, "port": 0}
        return old.replace(
            self.runtime,
            self.lite_type,
            hotkey=hotkey,
            coldkey=coldkey,
            active=True,
            axon_info=axon,
            stake=[[coldkey, 0]],
            rank=0,
            emission=0,
            incentive=0,
            consensus=0,
            trust=0,
            validator_trust=0,
            dividends=0,
            last_update=number,
            validator_permit=False,
            pruning_score=0,
            block_at_registration=number,
            alpha_stake=0,
            tao_stake=0,
            total_stake=0,
        )


def _age_commits(subnet: Subnet, number: int) -> Subnet:
    """Drop the timelocked commits the chain would have revealed by now: those of epoch E go
    when epoch E + commit_reveal_period begins. The simnet cannot decrypt drand timelocks, so
    their weights are never applied."""
    commits = subnet.weight_commits
    if not commits:
        return subnet
    params = subnet.hyperparameters
    epoch = (number + subnet.netuid + 1) // (params["tempo"] + 1)
    oldest_kept = epoch - params["commit_reveal_period"] + 1
    if min(commits) >= oldest_kept:
        return subnet
    kept = {e: c for e, c in commits.items() if e >= oldest_kept}
    return dataclasses.replace(subnet, weight_commits=kept)


def _wobble_weights(rng: random.Random, row: list[list[int]]) -> list[list[int]]:
    """The row moved by up to 10 % each, normalised so the largest is 65535 again."""
    raw = [max(1, round(w * rng.uniform(0.9, 1.1))) for _, w in row]
    top = max(raw)
    return [[uid, round(w * 65535 / top)] for (uid, _), w in zip(row, raw, strict=True)]


def _wobble_u16(rng: random.Random, value: int) -> int:
    return min(65535, max(0, round(value * rng.uniform(0.9, 1.1))))


_snapshot: Snapshot | None = None
_snapshot_lock = threading.Lock()


def get_snapshot(runtime: Runtime) -> Snapshot:
    """The process-wide decoded snapshot (immutable; every World starts from it)."""
    global _snapshot
    with _snapshot_lock:
        if _snapshot is None:
            _snapshot = Snapshot(runtime)
        return _snapshot
