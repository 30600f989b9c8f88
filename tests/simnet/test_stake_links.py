"""Child and parent hotkeys, revealed commitments and full weight rows on the simnet, read with
an unmodified turbobt (scalecodec's decode) and checked against the world state: storage and
the metagraph calls agree with it."""

from __future__ import annotations

from typing import Any

import turbobt
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.stake_links import U64_MAX, inherited_alpha, parents_of

from .conftest import START_MS


def _head(simnet: Simnet) -> Any:
    return simnet.world.head


async def test_child_and_parent_keys_are_served_as_the_world_keeps_them(
    simnet: Simnet, bt: turbobt.Bittensor
) -> None:
    state = _head(simnet)
    subnet = state.subnets[2]
    assert subnet.children, "subnet 2 has seeded child hotkeys"
    for parent, links in subnet.children.items():
        raw: Any = await bt.subtensor.state.getStorage(
            "SubtensorModule.ChildKeys", ss58_encode(parent, 42), 2, block_hash=state.hash
        )
        assert [(p, ss58_encode(bytes.fromhex(c[2:]), 42)) for p, c in raw] == [
            (p, ss58_encode(c, 42)) for p, c in links
        ]
    for child, links in parents_of(subnet).items():
        raw: Any = await bt.subtensor.state.getStorage(
            "SubtensorModule.ParentKeys", ss58_encode(child, 42), 2, block_hash=state.hash
        )
        assert [(p, ss58_encode(bytes.fromhex(c[2:]), 42)) for p, c in raw] == [
            (p, ss58_encode(c, 42)) for p, c in links
        ]
    # subnet 1 has none (its metagraph is finney's, byte for byte)
    assert not state.subnets[1].children


async def test_the_metagraph_counts_inherited_alpha(simnet: Simnet, bt: turbobt.Bittensor) -> None:
    state = _head(simnet)
    subnet = state.subnets[2]
    answer: Any = await bt.subtensor.api_call(
        "SubnetInfoRuntimeApi", "get_metagraph", netuid=2, block_hash=state.hash
    )
    alpha = [int(a) for a in answer["alpha_stake"]]
    own = [int(n.extra["alpha_stake"]) for n in subnet.neurons]
    counted = inherited_alpha(subnet)
    assert counted  # uids 1..4 are linked
    for uid, value in enumerate(alpha):
        assert value == counted.get(uid, own[uid]), uid
    # uid 1 gives half of its own alpha to uid 3
    assert alpha[1] == own[1] - own[1] * (U64_MAX // 2) // U64_MAX
    # what the links move is conserved, but for rounding
    linked = sorted(counted)
    assert abs(sum(alpha[u] for u in linked) - sum(own[u] for u in linked)) <= len(linked)
    # the stake weight moves with it (subnet 2 holds no TAO stake)
    assert [int(t) for t in answer["total_stake"]] == alpha
    # get_neurons_lite keeps each hotkey's own stake
    lite = await bt.subnet(2).list_neurons(block_hash=state.hash)
    assert [round(n.stake * 10**9) for n in lite][:5] == own[:5]


async def test_revealed_commitments_are_served(simnet: Simnet, bt: turbobt.Bittensor) -> None:
    state = _head(simnet)
    for netuid, subnet in state.subnets.items():
        assert subnet.revealed_commitments, netuid
        every = await bt.subnet(netuid).commitments.fetch_revealed(block_hash=state.hash)
        assert set(every) == {ss58_encode(k, 42) for k in subnet.revealed_commitments}
        for hotkey, reveals in subnet.revealed_commitments.items():
            got = every[ss58_encode(hotkey, 42)]
            # the chain keeps the decrypted payload SCALE-encoded (a compact length first), as
            # bittensor_drand's get_encrypted_commitment encrypts it; turbobt strips the length
            assert [r["reveal_block"] for r in got] == [block for _, block in reveals]
            texts = [r["data"] for r in got]
            assert texts[0] in ("apex timelocked v0", "revealed by simnet subnet 2")


async def test_full_weight_rows_when_configured() -> None:
    config = SimnetConfig(
        port=0,
        manual=True,
        start_timestamp_ms=START_MS,
        synthetic_neurons=64,
        synthetic_validators=16,
        weights_per_validator=4096,
    )
    async with Simnet(config) as sim:
        subnet = sim.world.head.subnets[2]
        assert len(subnet.weights) == 16
        miners = 64 - 16
        assert {len(row) for row in subnet.weights.values()} == {miners}
        # subnet 1's validators weight every miner too
        one = sim.world.head.subnets[1]
        validators = sum(1 for n in one.neurons if n.lite["validator_permit"])
        assert {len(row) for row in one.weights.values()} == {1024 - validators}
