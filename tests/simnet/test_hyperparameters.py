"""The hyperparameters the simnet keeps, and the AdminUtils call behind each."""

from __future__ import annotations

from pylon_gql.simnet.hyperparameters import (
    HYPERPARAMETER_NAMES,
    SUBNET_PARAMETER_NAMES,
    SUDO_HYPERPARAMETERS,
    simnet_hyperparameters,
    sudo_changes,
)
from pylon_gql.simnet.runtime import get_runtime


def test_every_sudo_call_maps_to_a_kept_hyperparameter_or_to_nothing():
    runtime = get_runtime()
    calls = runtime.pallet_calls["AdminUtils"]
    kept = simnet_hyperparameters(
        {name: 0 for name in (*HYPERPARAMETER_NAMES, *SUBNET_PARAMETER_NAMES)}
    )
    mapped: dict[str, list[str]] = {}
    for function, names in calls.items():
        if "netuid" not in names:
            continue
        changes = sudo_changes(function, {n: 1 for n in names if n != "netuid"}, kept)
        if changes is not None:
            assert set(changes) <= {*kept, "owner_hotkey", "mechanism_count"}, function
            mapped[function] = sorted(changes)
    assert mapped["sudo_set_tempo"] == ["tempo"]
    assert mapped["sudo_set_weights_set_rate_limit"] == ["weights_rate_limit"]
    assert mapped["sudo_set_commit_reveal_weights_enabled"] == ["commit_reveal_weights_enabled"]
    assert mapped["sudo_set_commit_reveal_weights_interval"] == ["commit_reveal_period"]
    assert mapped["sudo_set_max_weight_limit"] == ["max_weights_limit"]
    assert mapped["sudo_set_alpha_values"] == ["alpha_high", "alpha_low"]
    assert mapped["sudo_set_network_pow_registration_allowed"] == ["pow_registration_allowed"]
    assert mapped["sudo_set_max_allowed_uids"] == ["max_uids"]
    assert mapped["sudo_set_recycle_or_burn"] == ["recycle_or_burn"]
    assert mapped["sudo_set_mechanism_count"] == ["mechanism_count"]
    # every call of a subnet changes what it sets (setHyperparameter reads each back), but the
    # one whose argument the API cannot send
    unmapped = {
        f
        for f, names in calls.items()
        if f.startswith("sudo_set_") and "netuid" in names and f not in mapped
    }
    assert unmapped == {"sudo_set_mechanism_emission_split"}
    # every renamed call in the table exists in the metadata
    assert {f"sudo_set_{name}" for name in SUDO_HYPERPARAMETERS} <= set(calls)
    # every hyperparameter turbobt reads can be set by some call
    covered = {name for changes in mapped.values() for name in changes}
    assert set(HYPERPARAMETER_NAMES) <= covered
