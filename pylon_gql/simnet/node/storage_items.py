"""Which storage items the simnet serves, and where in the world state each value comes from.

`SERVED` maps (pallet, item) to a function giving that item's (keys, value) pairs at a block;
`storage.py` encodes them all the same way, with the metadata's key hashers and value type.
The values are the world's own records (the neurons `get_neurons_lite` encodes, the subnet's
hyperparameters, its pool), so storage and runtime calls agree. What is not served is listed
in `storage_absent.py` with the reason; a test holds the two lists to the metadata.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..stake_links import parents_of
from ..state import BlockState, Subnet, blocks_since_last_step, storage_index
from .chain_api import DEFAULT_TAKE, alpha_price_rao, delegates

Items = Iterable[tuple[tuple[Any, ...], Any]]
ItemSource = Callable[[BlockState], Items]

# drand quicknet: round 1 at this unix time, a round every 3 s
DRAND_GENESIS_S = 1_692_803_367
# SubnetMechanism 1: a dynamic (alpha) subnet, as every finney subnet but root
DYNAMIC_MECHANISM = 1
# the only commit-reveal version the simnet takes (timelocked, v4)
COMMIT_REVEAL_VERSION = 4


def _plain(value: Callable[[BlockState], Any]) -> ItemSource:
    return lambda state: [((), value(state))]


def _per_subnet(value: Callable[[BlockState, Subnet], Any]) -> ItemSource:
    """One value per subnet, keyed by netuid (a None value: the key is not set)."""

    def items(state: BlockState) -> Items:
        for netuid, subnet in sorted(state.subnets.items()):
            found = value(state, subnet)
            if found is not None:
                yield (netuid,), found

    return items


def _hyperparameter(name: str, convert: Callable[[Any], Any] = lambda v: v) -> ItemSource:
    return _per_subnet(lambda state, subnet: convert(subnet.hyperparameters[name]))


def _pool(name: str) -> ItemSource:
    return _per_subnet(lambda state, subnet: subnet.pool[name])


def _neuron_vector(field: str) -> ItemSource:
    """A per-subnet vector indexed by uid (LastUpdate, Incentive, ...), from the lite records."""
    return _per_subnet(lambda state, subnet: [n.lite[field] for n in subnet.neurons])


def _per_neuron(value: Callable[[int, Any], tuple[tuple[Any, ...], Any] | None]) -> ItemSource:
    """One item per neuron of every subnet (a None: no item for that neuron)."""

    def items(state: BlockState) -> Items:
        for netuid, subnet in sorted(state.subnets.items()):
            for neuron in subnet.neurons:
                found = value(netuid, neuron)
                if found is not None:
                    yield found

    return items


def _served_endpoint(info: dict[str, Any]) -> bool:
    # an axon or prometheus endpoint is stored once served: a block or an address set
    return bool(info["block"] or info["ip"])


def _hotkeys_of_coldkeys(state: BlockState) -> Items:
    owned: dict[bytes, list[bytes]] = {}
    for _, subnet in sorted(state.subnets.items()):
        for neuron in subnet.neurons:
            hotkeys = owned.setdefault(neuron.lite["coldkey"], [])
            if neuron.hotkey not in hotkeys:
                hotkeys.append(neuron.hotkey)
    return [((coldkey,), hotkeys) for coldkey, hotkeys in owned.items()]


def _sqrt_price_bits(subnet: Subnet) -> int:
    """Swap.AlphaSqrtPrice as U64F64 bits: the square root of TAO per alpha."""
    return math.isqrt(alpha_price_rao(subnet) * (1 << 128) // 1_000_000_000)


def _drand_round(state: BlockState) -> int:
    """The last drand round a node would have stored by this block's time."""
    return max(0, (state.timestamp // 1000 - DRAND_GENESIS_S) // 3 + 1)


def _system_events(state: BlockState) -> Items:
    # the timestamp inherent's ExtrinsicSuccess, then the events of the signed extrinsics
    success = {
        "phase": {"ApplyExtrinsic": 0},
        "event": {
            "System": {
                "ExtrinsicSuccess": {
                    "dispatch_info": {
                        "weight": {"ref_time": 107_265_000, "proof_size": 1_493},
                        "class": "Mandatory",
                        "pays_fee": "Yes",
                    }
                }
            }
        },
        "topics": [],
    }
    return [((), [success, *state.events])]


def _last_step(state: BlockState, subnet: Subnet) -> int:
    tempo = subnet.hyperparameters["tempo"]
    return state.number - blocks_since_last_step(subnet.netuid, tempo, state.number)


def _per_mechanism(
    state: BlockState,
    own: Callable[[Subnet], Mapping[int, Any]],
    others: Callable[[Subnet], Mapping[int, Mapping[int, Any]]],
) -> Items:
    """A double map keyed by (storage index, key): mechanism 0's entries under the netuid,
    mechanism m's under m * 4096 + netuid (subtensor's `NetUidStorageIndex`)."""
    for netuid, subnet in sorted(state.subnets.items()):
        for key, value in own(subnet).items():
            yield (netuid, key), value
        for mechanism, entries in sorted(others(subnet).items()):
            for key, value in entries.items():
                yield (storage_index(netuid, mechanism), key), value


def _last_update(state: BlockState) -> Items:
    """LastUpdate per storage index: mechanism 0's from the neurons, the others' kept apart
    (each mechanism's weights have their own rate limit)."""
    for netuid, subnet in sorted(state.subnets.items()):
        yield (netuid,), [n.lite["last_update"] for n in subnet.neurons]
        for mechanism in range(1, subnet.mechanism_count):
            blocks = subnet.mechanism_last_update.get(mechanism, {})
            yield (
                (storage_index(netuid, mechanism),),
                [blocks.get(n.uid, 0) for n in subnet.neurons],
            )


SERVED: dict[tuple[str, str], ItemSource] = {
    ("Timestamp", "Now"): _plain(lambda s: s.timestamp),
    ("System", "Number"): _plain(lambda s: s.number),
    ("System", "Events"): _system_events,
    ("System", "Account"): lambda s: [((key,), info) for key, info in s.accounts.items()],
    # -- the subnets ------------------------------------------------------------------------
    ("SubtensorModule", "TotalNetworks"): _plain(lambda s: len(s.subnets)),
    ("SubtensorModule", "NetworksAdded"): _per_subnet(lambda s, n: True),
    ("SubtensorModule", "NetworkRegisteredAt"): _per_subnet(lambda s, n: n.registered_at),
    ("SubtensorModule", "SubnetOwner"): _per_subnet(lambda s, n: n.owner_coldkey),
    ("SubtensorModule", "SubnetOwnerHotkey"): _per_subnet(lambda s, n: n.owner_hotkey),
    ("SubtensorModule", "SubnetIdentitiesV3"): _per_subnet(lambda s, n: n.identity),
    ("SubtensorModule", "TokenSymbol"): _per_subnet(lambda s, n: n.symbol.encode()),
    ("SubtensorModule", "SubnetMechanism"): _per_subnet(lambda s, n: DYNAMIC_MECHANISM),
    ("SubtensorModule", "MechanismCountCurrent"): _per_subnet(lambda s, n: n.mechanism_count),
    ("SubtensorModule", "MechanismEmissionSplit"): _per_subnet(lambda s, n: n.mechanism_split),
    ("SubtensorModule", "SubtokenEnabled"): _hyperparameter("subtoken_enabled"),
    ("SubtensorModule", "SubnetworkN"): _per_subnet(lambda s, n: len(n.neurons)),
    ("SubtensorModule", "BlocksSinceLastStep"): _per_subnet(
        lambda s, n: blocks_since_last_step(n.netuid, n.hyperparameters["tempo"], s.number)
    ),
    ("SubtensorModule", "LastMechansimStepBlock"): _per_subnet(_last_step),
    ("SubtensorModule", "StakeThreshold"): _plain(lambda s: s.stake_threshold),
    ("SubtensorModule", "CommitRevealWeightsVersion"): _plain(lambda s: COMMIT_REVEAL_VERSION),
    # -- hyperparameters (the values get_subnet_hyperparams answers) --------------------------
    ("SubtensorModule", "Tempo"): _hyperparameter("tempo"),
    ("SubtensorModule", "Rho"): _hyperparameter("rho"),
    ("SubtensorModule", "Kappa"): _hyperparameter("kappa"),
    ("SubtensorModule", "ImmunityPeriod"): _hyperparameter("immunity_period"),
    ("SubtensorModule", "MinAllowedWeights"): _hyperparameter("min_allowed_weights"),
    ("SubtensorModule", "MaxWeightsLimit"): _hyperparameter("max_weights_limit"),
    ("SubtensorModule", "MinDifficulty"): _hyperparameter("min_difficulty"),
    ("SubtensorModule", "MaxDifficulty"): _hyperparameter("max_difficulty"),
    ("SubtensorModule", "Difficulty"): _hyperparameter("difficulty"),
    ("SubtensorModule", "WeightsVersionKey"): _hyperparameter("weights_version"),
    ("SubtensorModule", "WeightsSetRateLimit"): _hyperparameter("weights_rate_limit"),
    ("SubtensorModule", "AdjustmentInterval"): _hyperparameter("adjustment_interval"),
    ("SubtensorModule", "AdjustmentAlpha"): _hyperparameter("adjustment_alpha"),
    ("SubtensorModule", "ActivityCutoff"): _hyperparameter("activity_cutoff"),
    ("SubtensorModule", "NetworkRegistrationAllowed"): _hyperparameter("registration_allowed"),
    ("SubtensorModule", "NetworkPowRegistrationAllowed"): _hyperparameter(
        "pow_registration_allowed"
    ),
    ("SubtensorModule", "TargetRegistrationsPerInterval"): _hyperparameter(
        "target_regs_per_interval"
    ),
    ("SubtensorModule", "Burn"): _hyperparameter("burn"),
    ("SubtensorModule", "MinBurn"): _hyperparameter("min_burn"),
    ("SubtensorModule", "MaxBurn"): _hyperparameter("max_burn"),
    ("SubtensorModule", "BondsMovingAverage"): _hyperparameter("bonds_moving_avg"),
    ("SubtensorModule", "MaxRegistrationsPerBlock"): _hyperparameter("max_regs_per_block"),
    ("SubtensorModule", "ServingRateLimit"): _hyperparameter("serving_rate_limit"),
    ("SubtensorModule", "MaxAllowedValidators"): _hyperparameter("max_validators"),
    ("SubtensorModule", "MaxAllowedUids"): _hyperparameter("max_uids"),
    ("SubtensorModule", "CommitRevealWeightsEnabled"): _hyperparameter(
        "commit_reveal_weights_enabled"
    ),
    ("SubtensorModule", "RevealPeriodEpochs"): _hyperparameter("commit_reveal_period"),
    ("SubtensorModule", "LiquidAlphaOn"): _hyperparameter("liquid_alpha_enabled"),
    ("SubtensorModule", "AlphaValues"): _per_subnet(
        lambda s, n: [n.hyperparameters["alpha_low"], n.hyperparameters["alpha_high"]]
    ),
    ("SubtensorModule", "AlphaSigmoidSteepness"): _hyperparameter(
        "alpha_sigmoid_steepness", lambda v: v["bits"] >> 32
    ),
    ("SubtensorModule", "Yuma3On"): _hyperparameter("yuma_version", lambda v: v == 3),
    ("SubtensorModule", "TransferToggle"): _hyperparameter("transfers_enabled"),
    ("SubtensorModule", "BondsResetOn"): _hyperparameter("bonds_reset_enabled"),
    # -- what admin calls set that get_subnet_hyperparams leaves out (`STORAGE_PARAMETERS`) --
    ("SubtensorModule", "BondsPenalty"): _hyperparameter("bonds_penalty"),
    ("SubtensorModule", "EMAPriceHalvingBlocks"): _hyperparameter("ema_price_halving_period"),
    ("SubtensorModule", "MinAllowedUids"): _hyperparameter("min_allowed_uids"),
    ("SubtensorModule", "ImmuneOwnerUidsLimit"): _hyperparameter("owner_immune_neuron_limit"),
    ("SubtensorModule", "RAORecycledForRegistration"): _hyperparameter("rao_recycled"),
    ("SubtensorModule", "RecycleOrBurn"): _hyperparameter("recycle_or_burn"),
    # -- the pool -----------------------------------------------------------------------------
    ("SubtensorModule", "SubnetTAO"): _pool("tao_in"),
    ("SubtensorModule", "SubnetAlphaIn"): _pool("alpha_in"),
    ("SubtensorModule", "SubnetAlphaOut"): _pool("alpha_out"),
    ("SubtensorModule", "SubnetVolume"): _pool("subnet_volume"),
    ("SubtensorModule", "SubnetMovingPrice"): _per_subnet(
        lambda s, n: {"bits": n.pool["moving_price"]}
    ),
    ("SubtensorModule", "SubnetAlphaInEmission"): _pool("alpha_in_emission"),
    ("SubtensorModule", "SubnetAlphaOutEmission"): _pool("alpha_out_emission"),
    ("SubtensorModule", "SubnetTaoInEmission"): _pool("tao_in_emission"),
    ("SubtensorModule", "PendingEmission"): _pool("pending_alpha_emission"),
    ("Swap", "SwapV3Initialized"): _per_subnet(lambda s, n: True),
    ("Swap", "AlphaSqrtPrice"): _per_subnet(lambda s, n: {"bits": _sqrt_price_bits(n)}),
    # -- the neurons: vectors by uid ------------------------------------------------------------
    ("SubtensorModule", "Active"): _neuron_vector("active"),
    ("SubtensorModule", "Rank"): _neuron_vector("rank"),
    ("SubtensorModule", "Trust"): _neuron_vector("trust"),
    ("SubtensorModule", "Consensus"): _neuron_vector("consensus"),
    ("SubtensorModule", "Incentive"): _neuron_vector("incentive"),
    ("SubtensorModule", "Dividends"): _neuron_vector("dividends"),
    ("SubtensorModule", "Emission"): _neuron_vector("emission"),
    ("SubtensorModule", "LastUpdate"): _last_update,
    ("SubtensorModule", "ValidatorTrust"): _neuron_vector("validator_trust"),
    ("SubtensorModule", "ValidatorPermit"): _neuron_vector("validator_permit"),
    ("SubtensorModule", "PruningScores"): _neuron_vector("pruning_score"),
    # -- the neurons: one item each -------------------------------------------------------------
    ("SubtensorModule", "Uids"): _per_neuron(lambda netuid, n: ((netuid, n.hotkey), n.uid)),
    ("SubtensorModule", "Keys"): _per_neuron(lambda netuid, n: ((netuid, n.uid), n.hotkey)),
    ("SubtensorModule", "BlockAtRegistration"): _per_neuron(
        lambda netuid, n: ((netuid, n.uid), n.extra["block_at_registration"])
    ),
    ("SubtensorModule", "IsNetworkMember"): _per_neuron(
        lambda netuid, n: ((n.hotkey, netuid), True)
    ),
    ("SubtensorModule", "Axons"): _per_neuron(
        lambda netuid, n: (
            ((netuid, n.hotkey), n.lite["axon_info"])
            if _served_endpoint(n.lite["axon_info"])
            else None
        )
    ),
    ("SubtensorModule", "Prometheus"): _per_neuron(
        lambda netuid, n: (
            ((netuid, n.hotkey), n.lite["prometheus_info"])
            if _served_endpoint(n.lite["prometheus_info"])
            else None
        )
    ),
    ("SubtensorModule", "Owner"): _per_neuron(lambda netuid, n: ((n.hotkey,), n.lite["coldkey"])),
    ("SubtensorModule", "IdentitiesV2"): _per_neuron(
        lambda netuid, n: (
            ((n.lite["coldkey"],), n.extra["identity"]) if n.extra.get("identity") else None
        )
    ),
    ("SubtensorModule", "OwnedHotkeys"): _hotkeys_of_coldkeys,
    ("SubtensorModule", "StakingHotkeys"): _hotkeys_of_coldkeys,
    # one coldkey (the owner's) holds all of a hotkey's alpha: its shares are the whole
    ("SubtensorModule", "TotalHotkeyAlpha"): _per_neuron(
        lambda netuid, n: ((n.hotkey, netuid), n.extra["alpha_stake"])
    ),
    ("SubtensorModule", "TotalHotkeyShares"): _per_neuron(
        lambda netuid, n: ((n.hotkey, netuid), {"bits": n.extra["alpha_stake"] << 64})
    ),
    ("SubtensorModule", "Alpha"): _per_neuron(
        lambda netuid, n: (
            (n.hotkey, n.lite["coldkey"], netuid),
            {"bits": n.extra["alpha_stake"] << 64},
        )
    ),
    # the per-hotkey dividends of the last epoch (what the metagraph reports); unset when 0
    ("SubtensorModule", "AlphaDividendsPerSubnet"): _per_neuron(
        lambda netuid, n: (
            ((netuid, n.hotkey), n.extra["alpha_dividends"])
            if n.extra.get("alpha_dividends")
            else None
        )
    ),
    ("SubtensorModule", "TaoDividendsPerSubnet"): _per_neuron(
        lambda netuid, n: (
            ((netuid, n.hotkey), n.extra["tao_dividends"]) if n.extra.get("tao_dividends") else None
        )
    ),
    ("SubtensorModule", "Delegates"): lambda s: [((key,), DEFAULT_TAKE) for key in delegates(s)],
    # -- weights, bonds, commits ----------------------------------------------------------------
    ("SubtensorModule", "Weights"): lambda s: _per_mechanism(
        s, lambda n: n.weights, lambda n: n.mechanism_weights
    ),
    ("SubtensorModule", "Bonds"): lambda s: _per_mechanism(
        s, lambda n: n.bonds, lambda n: n.mechanism_bonds
    ),
    ("SubtensorModule", "TimelockedWeightCommits"): lambda s: _per_mechanism(
        s, lambda n: n.weight_commits, lambda n: n.mechanism_weight_commits
    ),
    ("SubtensorModule", "WeightCommits"): lambda s: [
        ((netuid, hotkey), queue)
        for netuid, subnet in sorted(s.subnets.items())
        for hotkey, queue in subnet.hash_commits.items()
    ],
    # -- child and parent hotkeys (seeded at genesis; no set_children) -------------------------
    ("SubtensorModule", "ChildKeys"): lambda s: [
        ((parent, netuid), links)
        for netuid, subnet in sorted(s.subnets.items())
        for parent, links in subnet.children.items()
    ],
    ("SubtensorModule", "ParentKeys"): lambda s: [
        ((child, netuid), links)
        for netuid, subnet in sorted(s.subnets.items())
        for child, links in parents_of(subnet).items()
    ],
    ("Commitments", "RevealedCommitments"): lambda s: [
        ((netuid, hotkey), reveals)
        for netuid, subnet in sorted(s.subnets.items())
        for hotkey, reveals in subnet.revealed_commitments.items()
    ],
    ("Commitments", "CommitmentOf"): lambda s: [
        ((netuid, hotkey), registration)
        for netuid, subnet in sorted(s.subnets.items())
        for hotkey, registration in subnet.commitments.items()
    ],
    ("Commitments", "LastCommitment"): lambda s: [
        ((netuid, hotkey), registration["block"])
        for netuid, subnet in sorted(s.subnets.items())
        for hotkey, registration in subnet.commitments.items()
    ],
    ("Drand", "LastStoredRound"): _plain(_drand_round),
}
