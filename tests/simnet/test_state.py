"""A block's state: header hashes as substrate makes them, neuron records never mutated."""

from __future__ import annotations

import pytest

from pylon_gql.simnet.runtime import Runtime, get_runtime
from pylon_gql.simnet.snapshot import Snapshot, get_snapshot
from pylon_gql.simnet.state import Subnet, blocks_since_last_step, epoch_index, header_hash

from .conftest import SNAPSHOT, SNAPSHOT_HASH


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return get_runtime()


@pytest.fixture(scope="module")
def snapshot(runtime: Runtime) -> Snapshot:
    return get_snapshot(runtime)


def test_header_hash_reproduces_the_recorded_snapshot_hash(snapshot: Snapshot):
    header = snapshot.header
    assert header.number == SNAPSHOT
    rehashed = header_hash(
        header.parent_hash, header.number, header.state_root, header.extrinsics_root, header.logs
    )
    assert rehashed == header.hash == SNAPSHOT_HASH


def test_replace_makes_a_new_record_and_leaves_the_old_one(runtime: Runtime, snapshot: Snapshot):
    old = snapshot.neurons[7]
    old_lite, old_extra, old_encoded = dict(old.lite), dict(old.extra), old.encoded
    new = old.replace(runtime, incentive=old.lite["incentive"] + 1, alpha_stake=5)
    assert new.lite["incentive"] == old_lite["incentive"] + 1
    assert new.extra["alpha_stake"] == 5  # not a lite field: it goes with the extras
    assert "alpha_stake" not in new.lite
    assert (old.lite, old.extra, old.encoded) == (old_lite, old_extra, old_encoded)
    assert runtime.codec.decode(runtime.neuron_lite_type, new.encoded) == new.lite


def test_a_reregistered_uid_is_a_fresh_neuron(runtime: Runtime, snapshot: Snapshot):
    old = snapshot.neurons[7]
    hotkey, coldkey = b"\x01" * 32, b"\x02" * 32
    new = old.reregistered(runtime, hotkey, coldkey, SNAPSHOT + 5)
    assert (new.uid, new.hotkey, new.lite["coldkey"]) == (old.uid, hotkey, coldkey)
    assert new.lite["stake"] == [[coldkey, 0]]
    assert new.total_stake == 0
    assert new.lite["last_update"] == new.extra["block_at_registration"] == SNAPSHOT + 5
    assert not new.lite["validator_permit"]
    axon = new.lite["axon_info"]
    assert (axon["block"], axon["ip"], axon["port"]) == (0, 0, 0)
    assert axon["version"] == old.lite["axon_info"]["version"]


def test_epoch_index_and_uid_lookup():
    subnet = Subnet(
        netuid=2,
        name="",
        symbol="",
        owner_hotkey=b"",
        owner_coldkey=b"",
        registered_at=0,
        hyperparameters={"tempo": 360},
        identity=None,
        neurons=(),
        commitments={},
        weights={},
        weight_commits={},
        emission_history=[],
        pool={},
    )
    # subtensor's get_epoch_index: (block + netuid + 1) // (tempo + 1)
    assert epoch_index(subnet, 361 * 100 - 3) == 100
    assert epoch_index(subnet, 361 * 100 - 4) == 99
    assert subnet.uid_of(b"\x00" * 32) is None


def test_the_epoch_runs_where_subtensor_runs_it():
    # finney at the snapshot: subnet 1, tempo 99, last step 6852597 (93 blocks before)
    assert blocks_since_last_step(1, 99, SNAPSHOT) == 93
    assert blocks_since_last_step(1, 99, 6852597) == 0
    # subtensor's blocks_until_next_epoch is 0 in the epoch's block, for any netuid and tempo
    for netuid, tempo in ((1, 99), (2, 360), (7, 10)):
        for block in range(1000, 1400):
            until = tempo - (block + netuid + 1) % (tempo + 1)
            assert (blocks_since_last_step(netuid, tempo, block) == 0) == (until == 0)
    assert blocks_since_last_step(1, 0, 5000) == 5000  # tempo 0: the epoch never runs
