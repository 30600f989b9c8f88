"""Where the simnet's chain begins: the real snapshot block, plus what the simnet adds to it.

Subnet 1 is the recorded metagraph (its name from the recording; owner, identity, weights,
commitments and hyperparameters the simnet's own); subnet 2 is made from the seed; the dev
keys hold funds, and //Bob is subnet 2's validator (uid 0). Blocks between finney's genesis
and the snapshot do not exist.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ..scale import encode_compact
from .hyperparameters import simnet_hyperparameters
from .keys import (
    DEV_ACCOUNTS,
    OWNER_KEY,
    VALIDATOR_COLDKEY,
    VALIDATOR_HOTKEY,
    VALIDATOR_STAKE,
    seeded_hash,
)
from .runtime import Runtime
from .snapshot import Snapshot
from .stake_links import U64_MAX
from .state import RAO, BlockState, Neuron, Subnet

# finney's genesis block; the simnet has no blocks between genesis and the snapshot
GENESIS_HASH = "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03"
# a drand quicknet round near the snapshot's time (rounds are 3 s apart)
DRAND_ROUND_AT_SNAPSHOT = 20_000_000
# subnet 2's mechanisms and their emission split (u16 shares summing to 65535: 70 % / 30 %)
SUBNET2_MECHANISMS = 2
SUBNET2_SPLIT = (45875, 19660)
# the pool's emission figures a metagraph carries (subnet 1: as recorded)
EMISSION_FIELDS = (
    "subnet_emission",
    "alpha_out_emission",
    "alpha_in_emission",
    "tao_in_emission",
    "pending_alpha_emission",
    "pending_root_emission",
)


def first_state(
    runtime: Runtime,
    snapshot: Snapshot,
    *,
    seed: int,
    timestamp_ms: int,
    synthetic_neurons: int,
    synthetic_validators: int = 8,
    weights_per_validator: int = 16,
) -> BlockState:
    """The snapshot block: subnet 1 as recorded, the synthetic subnet 2, the dev accounts."""
    graph = snapshot.mechagraph
    hyperparameters = simnet_hyperparameters(graph)
    number = snapshot.number
    neurons = snapshot.neurons
    weights1 = _initial_weights(seed, neurons, weights_per_validator)
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
        weights=weights1,
        weight_commits={},
        emission_history=snapshot.subnet_state["emission_history"],
        pool={
            "alpha_in": graph["alpha_in"],
            "alpha_out": graph["alpha_out"],
            "tao_in": graph["tao_in"],
            "subnet_volume": graph["subnet_volume"],
            "moving_price": graph["moving_price"]["bits"],
            **{name: graph[name] for name in EMISSION_FIELDS},
        },
        bonds=_initial_bonds(weights1),
        # a commitment of uid 24 the chain revealed (the simnet cannot decrypt drand offline:
        # seeded, as if revealed 500 blocks before the snapshot)
        revealed_commitments={
            neurons[24].hotkey: [[_scale_bytes(b"apex timelocked v0"), number - 500]],
        },
    )
    subnet2 = _synthetic_subnet(
        runtime,
        seed,
        2,
        synthetic_neurons,
        number,
        # the synthetic subnet keeps the tempo many finney subnets run
        {**hyperparameters, "tempo": 360, "max_uids": synthetic_neurons},
        validator_count=synthetic_validators,
        weights_per_validator=weights_per_validator,
    )
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


def _initial_weights(
    seed: int, neurons: tuple[Neuron, ...], per_validator: int = 16, mechanism: int = 0
) -> dict[int, list[list[int]]]:
    """Weights of every validator: a seeded spread of `per_validator` uids over the first
    miners (the first 64, or as many as a row takes)."""
    miners = [n.uid for n in neurons if not n.lite["validator_permit"]][: max(64, per_validator)]
    weights: dict[int, list[list[int]]] = {}
    for neuron in neurons:
        if not neuron.lite["validator_permit"]:
            continue
        # mechanism 0 keeps the seed's weights as they were before mechanisms
        label = "weights" if mechanism == 0 else f"weights-m{mechanism}"
        rng = random.Random(f"{seed}:{label}:{neuron.uid}")
        chosen = sorted(rng.sample(miners, min(per_validator, len(miners))))
        raw = [rng.randint(1, 65535) for _ in chosen]
        top = max(raw)
        weights[neuron.uid] = [
            [uid, round(w * 65535 / top)] for uid, w in zip(chosen, raw, strict=True)
        ]
    return weights


def _initial_bonds(weights: Mapping[int, list[list[int]]]) -> dict[int, list[list[int]]]:
    """Bonds as if the weights had held for a long time: a bond is the weight's share of the
    row, on the u16 scale (the drift moves them towards the weights at each epoch)."""
    bonds: dict[int, list[list[int]]] = {}
    for uid, row in weights.items():
        total = sum(w for _, w in row) or 1
        bonds[uid] = [[miner, w * 65535 // total] for miner, w in row]
    return bonds


def _synthetic_subnet(
    runtime: Runtime,
    seed: int,
    netuid: int,
    size: int,
    number: int,
    hyperparameters: Mapping[str, Any],
    *,
    validator_count: int = 8,
    weights_per_validator: int = 16,
) -> Subnet:
    """A subnet made from the seed; uid 0 is the dev validator."""
    rng = random.Random(f"{seed}:subnet:{netuid}")
    validator_count = min(validator_count, size)
    neurons = []
    for uid in range(size):
        validator = uid < validator_count
        if uid == 0:
            hotkey, coldkey = VALIDATOR_HOTKEY, VALIDATOR_COLDKEY
        else:
            hotkey = seeded_hash(seed, netuid, uid, "hotkey")
            coldkey = seeded_hash(seed, netuid, uid, "coldkey")
        stake = (
            VALIDATOR_STAKE
            if uid == 0
            else (rng.randint(10_000, 500_000) * RAO if validator else rng.randint(0, 2_000) * RAO)
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
            lite["last_update"] = number - hyperparameters["tempo"]
        extra = {
            "block_at_registration": number - rng.randint(1_000, 200_000),
            "alpha_stake": stake,
            "tao_stake": 0,
            "total_stake": stake,
        }
        neurons.append(Neuron(lite, extra, runtime.codec.encode(runtime.neuron_lite_type, lite)))
    commitments = {
        neurons[9].hotkey: _registration(number - 10, [_raw(b"hello from simnet subnet 2")]),
        neurons[10].hotkey: _registration(number - 20, [_raw(b"\x00\x01\x02\xfe\xff")]),
        neurons[0].hotkey: _registration(number - 5, [_raw(b"validator //Bob")]),
    }
    weights = _initial_weights(seed, tuple(neurons), weights_per_validator)
    # mechanism 1 (subnet 2 has two, split 70/30): every validator's row but //Bob's, whose
    # first row there is the one the server sets
    weights_m1 = _initial_weights(seed, tuple(neurons), weights_per_validator, mechanism=1)
    weights_m1.pop(0, None)
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
        weights=weights,
        weight_commits=weight_commits,
        emission_history=[],
        pool={
            "alpha_in": 1_000_000 * RAO,
            "alpha_out": 400_000 * RAO,
            "tao_in": 10_000 * RAO,
            "subnet_volume": 0,
            "moving_price": 1 << 32,
            "subnet_emission": 0,
            "alpha_out_emission": 1_000_000_000,
            "alpha_in_emission": 1_000_000_000,
            "tao_in_emission": 9_531_940,
            "pending_alpha_emission": 0,
            "pending_root_emission": 0,
        },
        bonds=_initial_bonds(weights),
        mechanism_count=SUBNET2_MECHANISMS,
        mechanism_split=list(SUBNET2_SPLIT),
        mechanism_weights={1: weights_m1},
        mechanism_bonds={1: _initial_bonds(weights_m1)},
        children=_initial_children(neurons),
        # a commitment the chain revealed (seeded: the simnet cannot decrypt drand offline)
        revealed_commitments={
            neurons[min(3, size - 1)].hotkey: [
                [_scale_bytes(b"revealed by simnet subnet 2"), number - 100],
                [_scale_bytes(b"second reveal of uid 3"), number - 40],
            ]
        },
    )


def _initial_children(neurons: list[Neuron]) -> dict[bytes, list[list[Any]]]:
    """Child hotkeys among subnet 2's validators: uid 1 gives half its stake to uid 3; uid 2
    gives a quarter to uid 3 and a quarter to uid 4 (when the subnet has them)."""
    if len(neurons) < 5:
        return {}
    half, quarter = U64_MAX // 2, U64_MAX // 4
    return {
        neurons[1].hotkey: [[half, neurons[3].hotkey]],
        neurons[2].hotkey: [[quarter, neurons[3].hotkey], [quarter, neurons[4].hotkey]],
    }


def _scale_bytes(payload: bytes) -> bytes:
    """A revealed commitment as the chain keeps it: the decrypted payload, which
    bittensor_drand's `get_encrypted_commitment` SCALE-encodes (a compact length first)."""
    return encode_compact(len(payload)) + payload


def _registration(block: int, data: list[Any]) -> dict[str, Any]:
    return {"deposit": 0, "block": block, "info": {"fields": data}}


def _raw(data: bytes) -> dict[str, bytes]:
    return {f"Raw{len(data)}": data}
