"""The metagraph runtime calls (`get_metagraph`, `get_selective_metagraph`, their mechagraph
and all-subnet forms) and `get_subnet_info(_v2)`, made from one block's state.

One value holds every field of subtensor's `SelectiveMetagraph`, in its order (a selective
call's index i is the i-th field); `Metagraph` is the same without the last two. Each field is
read from the same records `get_neurons_lite` and `get_subnet_state` encode, so the calls agree
field by field. At the snapshot block subnet 1's value is finney's recorded answer, except for
what the simnet deliberately makes its own (`SIMNET_OWN_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..runtime import Runtime
from ..stake_links import inherited_alpha
from ..state import BlockState, Subnet, blocks_since_last_step

# fields of subnet 1's metagraph that the simnet makes its own at the snapshot, and why
SIMNET_OWN_FIELDS = {
    "owner_hotkey": "the subnet owner is //Alice, so the dev keys can set hyperparameters",
    "owner_coldkey": "the subnet owner is //Alice, so the dev keys can set hyperparameters",
    "identity": "the simnet's own subnet identity ('Apex (simnet)')",
    "commitments": "the simnet's own commitments (text and binary, for the tests)",
}


def neuron_columns(
    lite: list[dict[str, Any]],
    extra: list[dict[str, Any]],
    inherited: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """The per-neuron columns, in uid order, that the metagraph calls and the subnet state share.

    `inherited`: the alpha linked uids count (`stake_links.inherited_alpha`), which replaces
    their own in `alpha_stake` and, with it, in the stake weight `total_stake`."""
    alpha = [e["alpha_stake"] for e in extra]
    total = [e["total_stake"] for e in extra]
    for uid, counted in (inherited or {}).items():
        total[uid] = total[uid] - alpha[uid] + counted
        alpha[uid] = counted
    return {
        "hotkeys": [n["hotkey"] for n in lite],
        "coldkeys": [n["coldkey"] for n in lite],
        "active": [n["active"] for n in lite],
        "validator_permit": [n["validator_permit"] for n in lite],
        "pruning_score": [n["pruning_score"] for n in lite],
        "last_update": [n["last_update"] for n in lite],
        "emission": [n["emission"] for n in lite],
        "dividends": [n["dividends"] for n in lite],
        "incentives": [n["incentive"] for n in lite],
        "consensus": [n["consensus"] for n in lite],
        "trust": [n["trust"] for n in lite],
        "rank": [n["rank"] for n in lite],
        "block_at_registration": [e["block_at_registration"] for e in extra],
        "alpha_stake": alpha,
        "tao_stake": [e["tao_stake"] for e in extra],
        "total_stake": total,
    }


def metagraph_value(runtime: Runtime, state: BlockState, subnet: Subnet) -> dict[str, Any]:
    """Every field of a SelectiveMetagraph for `subnet` at `state`, none left out."""
    params = subnet.hyperparameters
    pool = subnet.pool
    tempo = params["tempo"]
    since = blocks_since_last_step(subnet.netuid, tempo, state.number)
    lite = [n.lite for n in subnet.neurons]
    extra = [n.extra for n in subnet.neurons]
    commitment_type = runtime.entry("Commitments", "CommitmentOf").value_type
    return {
        "netuid": subnet.netuid,
        "name": list(subnet.name.encode()),
        "symbol": list(subnet.symbol.encode()),
        "identity": subnet.identity,
        "network_registered_at": subnet.registered_at,
        "owner_hotkey": subnet.owner_hotkey,
        "owner_coldkey": subnet.owner_coldkey,
        "block": state.number,
        "tempo": tempo,
        "last_step": state.number - since,
        "blocks_since_last_step": since,
        **{name: pool[name] for name in ("subnet_emission", "alpha_in", "alpha_out", "tao_in")},
        **{
            name: pool[name]
            for name in (
                "alpha_out_emission",
                "alpha_in_emission",
                "tao_in_emission",
                "pending_alpha_emission",
                "pending_root_emission",
                "subnet_volume",
            )
        },
        "moving_price": {"bits": pool["moving_price"]},
        **{
            name: params[name]
            for name in (
                "rho",
                "kappa",
                "min_allowed_weights",
                "max_weights_limit",
                "weights_version",
                "weights_rate_limit",
                "activity_cutoff",
                "max_validators",
            )
        },
        "num_uids": len(subnet.neurons),
        "max_uids": params["max_uids"],
        **{
            name: params[name]
            for name in (
                "burn",
                "difficulty",
                "registration_allowed",
                "pow_registration_allowed",
                "immunity_period",
                "min_difficulty",
                "max_difficulty",
                "min_burn",
                "max_burn",
                "adjustment_alpha",
                "adjustment_interval",
                "target_regs_per_interval",
                "max_regs_per_block",
                "serving_rate_limit",
                "commit_reveal_weights_enabled",
                "commit_reveal_period",
                "liquid_alpha_enabled",
                "alpha_high",
                "alpha_low",
                "bonds_moving_avg",
            )
        },
        **neuron_columns(lite, extra, inherited_alpha(subnet)),
        # the coldkeys' chain identities (finney's, at the snapshot)
        "identities": [e.get("identity") for e in extra],
        "axons": [n["axon_info"] for n in lite],
        "tao_dividends_per_hotkey": [
            [n["hotkey"], e.get("tao_dividends", 0)] for n, e in zip(lite, extra, strict=True)
        ],
        "alpha_dividends_per_hotkey": [
            [n["hotkey"], e.get("alpha_dividends", 0)] for n, e in zip(lite, extra, strict=True)
        ],
        # the permitted validators, least stake first (as finney orders them)
        "validators": [
            n.uid
            for n in sorted(subnet.neurons, key=lambda n: (n.extra["total_stake"], n.uid))
            if n.lite["validator_permit"]
        ],
        "commitments": [
            [hotkey, list(runtime.codec.encode(commitment_type, registration))]
            for hotkey, registration in subnet.commitments.items()
        ],
    }


def metagraph_fields(runtime: Runtime) -> tuple[str, ...]:
    """The SelectiveMetagraph's field names, in order: index i of a selective call is field i."""
    return _composite_fields(runtime, "SubnetInfoRuntimeApi_get_selective_mechagraph")


def full_metagraph(runtime: Runtime, state: BlockState, subnet: Subnet) -> dict[str, Any]:
    """The `Metagraph` value (the selective one's fields but the last two)."""
    value = metagraph_value(runtime, state, subnet)
    names = _composite_fields(runtime, "SubnetInfoRuntimeApi_get_metagraph")
    return {name: value[name] for name in names}


def selective_metagraph(
    runtime: Runtime, state: BlockState, subnet: Subnet, indexes: list[int]
) -> dict[str, Any]:
    """A SelectiveMetagraph with the fields at `indexes` (the netuid always)."""
    value = metagraph_value(runtime, state, subnet)
    names = metagraph_fields(runtime)
    wanted = {names[i] for i in indexes if i < len(names)}
    return {name: value[name] if name == "netuid" or name in wanted else None for name in names}


def subnet_info_v2(state: BlockState, subnet: Subnet) -> dict[str, Any]:
    """`SubnetInfov2` (also `SubnetInfo`, which lacks the identity) of a subnet."""
    params = subnet.hyperparameters
    return {
        "netuid": subnet.netuid,
        "rho": params["rho"],
        "kappa": params["kappa"],
        "difficulty": params["difficulty"],
        "immunity_period": params["immunity_period"],
        "max_allowed_validators": params["max_validators"],
        "min_allowed_weights": params["min_allowed_weights"],
        "max_weights_limit": params["max_weights_limit"],
        "scaling_law_power": 50,
        "subnetwork_n": len(subnet.neurons),
        "max_allowed_uids": params["max_uids"],
        "blocks_since_last_step": blocks_since_last_step(
            subnet.netuid, params["tempo"], state.number
        ),
        "tempo": params["tempo"],
        "network_modality": 0,
        "network_connect": [],
        "emission_value": subnet.pool["subnet_emission"],
        "burn": params["burn"],
        "owner": subnet.owner_coldkey,
        "identity": None,
    }


def _composite_fields(runtime: Runtime, method: str) -> tuple[str, ...]:
    codec = runtime.codec
    option = codec.type_def(runtime.methods[method].output)
    inner = option["def"]["variant"]["variants"][1]["fields"][0]["type"]
    return tuple(f["name"] for f in codec.type_def(inner)["def"]["composite"]["fields"])
