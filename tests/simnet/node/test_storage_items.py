"""The storage items the simnet serves: every item of the modelled pallets is served or listed
as absent with its reason, and the served values are the world's own."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.node.cache import AnswerCache
from pylon_gql.simnet.node.storage import Storage
from pylon_gql.simnet.node.storage_absent import ABSENT, MODELLED_PALLETS
from pylon_gql.simnet.node.storage_items import SERVED
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.state import BlockState

from ..conftest import SNAPSHOT, SNAPSHOT_HASH


def test_every_item_of_the_modelled_pallets_is_served_or_absent_with_a_reason():
    runtime = get_runtime()
    items = [(p, n) for p, n in runtime.storage if p in MODELLED_PALLETS]
    assert len(items) > 150
    unaccounted = [(p, n) for p, n in items if (p, n) not in SERVED and n not in ABSENT]
    assert unaccounted == []
    # nothing listed both ways, no reason empty, no name the metadata does not have
    assert [n for p, n in SERVED if p in MODELLED_PALLETS and n in ABSENT] == []
    assert all(len(reason) > 20 for reason in ABSENT.values())
    assert set(ABSENT) <= {n for _, n in items}
    assert set(SERVED) <= set(runtime.storage)


def _reader(state: BlockState):
    runtime = get_runtime()
    storage = Storage(runtime, AnswerCache())

    def read(pallet: str, name: str, *keys: Any) -> Any:
        entry = runtime.entry(pallet, name)
        value = storage.value(state, entry.key(runtime.codec, *keys))
        return None if value is None else runtime.codec.decode(entry.value_type, value)

    return read


@pytest.fixture
async def later(simnet: Simnet) -> BlockState:
    """A block past the snapshot (//Bob holds a uid on subnet 1 there)."""
    await simnet.produce_blocks(3)
    return simnet.world.head


def test_subnet_items_are_the_world_s(simnet: Simnet):
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    read = _reader(state)
    subnet = state.subnets[1]
    assert read("SubtensorModule", "SubnetworkN", 1) == 1024
    assert read("SubtensorModule", "Tempo", 1) == 99
    # finney at the snapshot: the last epoch ran at 6852597, 93 blocks before
    assert read("SubtensorModule", "BlocksSinceLastStep", 1) == 93
    assert read("SubtensorModule", "LastMechansimStepBlock", 1) == SNAPSHOT - 93 == 6852597
    assert read("SubtensorModule", "ImmunityPeriod", 1) == subnet.hyperparameters["immunity_period"]
    assert read("SubtensorModule", "CommitRevealWeightsEnabled", 1) is True
    assert read("SubtensorModule", "RevealPeriodEpochs", 1) == 1
    assert read("SubtensorModule", "WeightsSetRateLimit", 2) == 100
    assert read("SubtensorModule", "MechanismCountCurrent", 1) == 1
    assert read("SubtensorModule", "NetworksAdded", 3) is None
    assert read("Drand", "LastStoredRound") > 20_000_000


async def test_neuron_items_are_the_world_s(later: BlockState):
    read = _reader(later)
    for netuid, subnet in later.subnets.items():
        lite = [n.lite for n in subnet.neurons]
        assert read("SubtensorModule", "LastUpdate", netuid) == [n["last_update"] for n in lite]
        assert read("SubtensorModule", "Incentive", netuid) == [n["incentive"] for n in lite]
        assert read("SubtensorModule", "ValidatorPermit", netuid) == [
            n["validator_permit"] for n in lite
        ]
        neuron = subnet.neurons[7]
        assert read("SubtensorModule", "IsNetworkMember", neuron.hotkey, netuid) is True
        assert read("SubtensorModule", "Owner", neuron.hotkey) == neuron.lite["coldkey"]
        assert (
            read("SubtensorModule", "TotalHotkeyAlpha", neuron.hotkey, netuid)
            == (neuron.extra["alpha_stake"])
        )
        assert (
            read("SubtensorModule", "BlockAtRegistration", netuid, 7)
            == (neuron.extra["block_at_registration"])
        )
        uid, row = next(iter(subnet.bonds.items()))
        assert read("SubtensorModule", "Bonds", netuid, uid) == row


def test_the_price_items_agree(simnet: Simnet):
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    read = _reader(state)
    pool = state.subnets[1].pool
    assert read("SubtensorModule", "SubnetTAO", 1) == pool["tao_in"]
    assert read("SubtensorModule", "SubnetAlphaIn", 1) == pool["alpha_in"]
    sqrt_price = read("Swap", "AlphaSqrtPrice", 1)["bits"] / 2**64
    assert math.isclose(sqrt_price**2, pool["tao_in"] / pool["alpha_in"], rel_tol=1e-6)
