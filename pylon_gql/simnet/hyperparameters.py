"""The subnet hyperparameters the simnet keeps: which, their values at start, and which
`AdminUtils.sudo_set_*` call sets each one."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .state import Subnet

# what get_subnet_hyperparams returns (and turbobt reads)
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

# kept beside them: the subnet's storage and metagraph carry these too
SUBNET_PARAMETER_NAMES = ("max_uids", "burn", "pow_registration_allowed")

# kept beside them too, for the storage items (keyed by netuid) of the admin calls whose value
# get_subnet_hyperparams leaves out, each set by `sudo_set_<name>`: their value at start is
# the item's default in the runtime (subtoken_enabled: every finney subnet has started)
STORAGE_PARAMETERS: dict[str, Any] = {
    "bonds_penalty": 65535,
    "ema_price_halving_period": 201_600,
    "min_allowed_uids": 64,
    "owner_immune_neuron_limit": 1,
    "rao_recycled": 0,
    "recycle_or_burn": "Burn",
    "subtoken_enabled": True,
}

# sudo_set_<name> -> the hyperparameter it sets, where the names differ
SUDO_HYPERPARAMETERS: dict[str, str] = {
    "weights_version_key": "weights_version",
    "weights_set_rate_limit": "weights_rate_limit",
    "max_weight_limit": "max_weights_limit",
    "network_registration_allowed": "registration_allowed",
    "target_registrations_per_interval": "target_regs_per_interval",
    "max_allowed_validators": "max_validators",
    "bonds_moving_average": "bonds_moving_avg",
    "max_registrations_per_block": "max_regs_per_block",
    "commit_reveal_weights_interval": "commit_reveal_period",
    "toggle_transfer": "transfers_enabled",
    "network_pow_registration_allowed": "pow_registration_allowed",
    "max_allowed_uids": "max_uids",
}


def simnet_hyperparameters(base: Mapping[str, Any]) -> dict[str, Any]:
    """The simnet's own hyperparameters: the real subnet 1 values (tempo 99 at the snapshot),
    commit-reveal on. Beside what `get_subnet_hyperparams` returns, the subnet's storage and
    metagraph carry `max_uids`, `burn` and `pow_registration_allowed`."""
    params = {name: base[name] for name in (*HYPERPARAMETER_NAMES, *SUBNET_PARAMETER_NAMES)}
    params.update(
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
    params.update(STORAGE_PARAMETERS)
    return params


def sudo_changes(
    function: str, args: Mapping[str, Any], hyperparameters: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What an AdminUtils call (its args without the netuid) changes in a subnet's
    hyperparameters; None when no hyperparameter the simnet keeps is behind it."""
    name = function.removeprefix("sudo_set_")
    if function == "sudo_set_alpha_values":
        return {"alpha_low": args["alpha_low"], "alpha_high": args["alpha_high"]}
    if function == "sudo_set_yuma3_enabled":
        return {"yuma_version": 3 if args["enabled"] else 2}
    if function == "sudo_set_alpha_sigmoid_steepness":
        return {"alpha_sigmoid_steepness": {"bits": args["steepness"] << 32}}
    if function in ("sudo_set_sn_owner_hotkey", "sudo_set_subnet_owner_hotkey"):
        return {"owner_hotkey": args["hotkey"]}
    if function == "sudo_set_mechanism_count":
        return {"mechanism_count": args["mechanism_count"]}
    target = SUDO_HYPERPARAMETERS.get(name, name)
    if target not in hyperparameters or len(args) != 1:
        return None
    (value,) = args.values()
    return {target: value}


def with_changes(subnet: Subnet, changes: Mapping[str, Any]) -> Subnet:
    """The subnet after an AdminUtils call's `sudo_changes`: its owner hotkey, its mechanism
    count (as subtensor's update_mechanism_counts_if_needed, a new count drops the emission
    split), else its hyperparameters."""
    if "owner_hotkey" in changes:
        return dataclasses.replace(subnet, owner_hotkey=changes["owner_hotkey"])
    if "mechanism_count" in changes:
        count = changes["mechanism_count"]
        split = subnet.mechanism_split if count == subnet.mechanism_count else None
        return dataclasses.replace(subnet, mechanism_count=count, mechanism_split=split)
    return dataclasses.replace(subnet, hyperparameters={**subnet.hyperparameters, **changes})
