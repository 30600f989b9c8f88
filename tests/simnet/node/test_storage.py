"""Storage items read by unmodified turbobt: owners and keys, weights and pending commits,
commitments."""

from __future__ import annotations

import turbobt
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet

from ..conftest import SNAPSHOT, SNAPSHOT_HASH


async def test_subnet_owner_and_keys_storage(simnet: Simnet, bt: turbobt.Bittensor):
    owner = await bt.subtensor.state.getStorage(
        "SubtensorModule.SubnetOwner", 1, block_hash=SNAPSHOT_HASH
    )
    assert owner == "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"  # //Alice
    hotkey = await bt.subtensor.state.getStorage(
        "SubtensorModule.Keys", 2, 0, block_hash=SNAPSHOT_HASH
    )
    assert hotkey == "0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48"  # //Bob


async def test_weights_storage(simnet: Simnet, bt: turbobt.Bittensor):
    weights = await bt.subnet(2).weights.fetch(block_hash=SNAPSHOT_HASH)
    assert weights  # every validator but //Bob has set weights
    validator, row = next(iter(weights.items()))
    assert max(row.values()) == 1.0
    assert await bt.subnet(2).weights.get(validator, block_hash=SNAPSHOT_HASH) == row
    assert await bt.subnet(1).weights.fetch_pending(block_hash=SNAPSHOT_HASH) == {}
    pending = await bt.subnet(2).weights.fetch_pending(block_hash=SNAPSHOT_HASH)
    ((epoch, commits),) = pending.items()
    assert epoch == (SNAPSHOT + 2 + 1) // 361
    ((hotkey, commit),) = commits.items()
    assert commit.block < SNAPSHOT
    assert len(commit.commit) == 96
    neuron = await bt.subnet(2).get_neuron(hotkey, block_hash=SNAPSHOT_HASH)
    assert neuron is not None
    assert neuron.validator_permit


async def test_commitments(bt: turbobt.Bittensor):
    for netuid in (1, 2):
        commitments = await bt.subnet(netuid).commitments.fetch(block_hash=SNAPSHOT_HASH)
        assert len(commitments) >= 3
        texts = [c["data"] for c in commitments.values()]
        assert any(_is_text(t) for t in texts)
        assert any(not _is_text(t) for t in texts)
        hotkey, expected = next(iter(commitments.items()))
        one = await bt.subnet(netuid).commitments.get(hotkey, block_hash=SNAPSHOT_HASH)
        assert one == expected
    nobody = ss58_encode(bytes(32))
    assert await bt.subnet(1).commitments.get(nobody, block_hash=SNAPSHOT_HASH) is None


def _is_text(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True
