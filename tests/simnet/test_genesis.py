"""The first block: the snapshot as recorded, plus the simnet's owner, validator, subnet 2 and
funded dev keys, made from the seed."""

from __future__ import annotations

import pytest

from pylon_gql.simnet.genesis import first_state
from pylon_gql.simnet.keys import (
    DEV_ACCOUNTS,
    OWNER_KEY,
    VALIDATOR_COLDKEY,
    VALIDATOR_HOTKEY,
    VALIDATOR_STAKE,
)
from pylon_gql.simnet.runtime import Runtime, get_runtime
from pylon_gql.simnet.snapshot import Snapshot, get_snapshot
from pylon_gql.simnet.state import RAO, BlockState

from .conftest import SNAPSHOT, START_MS


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return get_runtime()


@pytest.fixture(scope="module")
def snapshot(runtime: Runtime) -> Snapshot:
    return get_snapshot(runtime)


def _first(runtime: Runtime, snapshot: Snapshot, seed: int = 0) -> BlockState:
    return first_state(runtime, snapshot, seed=seed, timestamp_ms=START_MS, synthetic_neurons=16)


def test_the_first_state_is_the_snapshot_block(runtime: Runtime, snapshot: Snapshot):
    state = _first(runtime, snapshot)
    assert state.header == snapshot.header
    assert state.number == SNAPSHOT
    assert state.timestamp == START_MS
    assert state.events == ()
    subnet1 = state.subnets[1]
    assert subnet1.neurons is snapshot.neurons  # shared, never copied
    assert subnet1.name == "Apex"
    assert subnet1.uid_of(VALIDATOR_HOTKEY) is None  # //Bob joins in the first produced block
    # subnet 1 runs finney's tempo at the snapshot (99); the synthetic subnet 2 runs 360
    assert [s.hyperparameters["tempo"] for s in state.subnets.values()] == [99, 360]
    for subnet in state.subnets.values():
        assert subnet.owner_coldkey == subnet.owner_hotkey == OWNER_KEY == DEV_ACCOUNTS["//Alice"]
        assert subnet.hyperparameters["commit_reveal_weights_enabled"] is True
    assert state.stake_threshold == 1000 * RAO
    for key in DEV_ACCOUNTS.values():
        assert state.accounts[key]["nonce"] == 0
        assert state.accounts[key]["data"]["free"] == 1_000_000 * RAO


def test_the_validator_is_uid_0_of_the_synthetic_subnet(runtime: Runtime, snapshot: Snapshot):
    subnet2 = _first(runtime, snapshot).subnets[2]
    assert len(subnet2.neurons) == 16
    bob = subnet2.neurons[0]
    assert (bob.hotkey, bob.lite["coldkey"]) == (VALIDATOR_HOTKEY, VALIDATOR_COLDKEY)
    assert bob.total_stake == VALIDATOR_STAKE
    # a tempo before the snapshot: its first weights pass the rate limit at once
    assert bob.lite["last_update"] == SNAPSHOT - 360
    assert [n.lite["validator_permit"] for n in subnet2.neurons] == [True] * 8 + [False] * 8
    # every validator has a seeded weights row, //Bob too
    assert sorted(subnet2.weights) == list(range(8))
    ((epoch, commits),) = subnet2.weight_commits.items()
    assert epoch == (SNAPSHOT + 2 + 1) // 361
    assert [c[0] for c in commits] == [subnet2.neurons[1].hotkey]


def test_the_seed_makes_the_synthetic_subnet(runtime: Runtime, snapshot: Snapshot):
    first, again, other = (_first(runtime, snapshot, seed) for seed in (1, 1, 2))
    encoded = [[n.encoded for n in s.subnets[2].neurons] for s in (first, again, other)]
    assert encoded[0] == encoded[1]
    assert first.subnets[2].weights == again.subnets[2].weights
    assert first.subnets[2].neurons[0].hotkey == other.subnets[2].neurons[0].hotkey
    hotkeys = [[n.hotkey for n in s.subnets[2].neurons[1:]] for s in (first, other)]
    assert not set(hotkeys[0]) & set(hotkeys[1])
