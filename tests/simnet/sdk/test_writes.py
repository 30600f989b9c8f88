"""What a validator's and a subnet owner's code write through the bittensor SDK, each write
read back through the SDK and compared with the simnet's world state.

The SDK's own `SetWeights` / `CommitWeights` intents read storage items of newer runtimes
(`SubnetEpochConsensus`, `LastEpochBlock`, ...) that the simnet's spec-318 metadata does not
have, so the SDK refuses them before signing; weights go through its raw-call path
(`client.submit_call(bittensor.calls...)`), which is what those intents send.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import bittensor
import pytest
from bittensor._transport.errors import StorageFunctionNotFound
from bittensor.intents.hyperparameters import SetHyperparameter
from bittensor.intents.serving import ServeAxon
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet, SimnetConfig
from pylon_gql.simnet.hash_commits import reveal_window
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY

from ..conftest import START_MS, Wallets

calls = bittensor.calls
BOB = ss58_encode(VALIDATOR_HOTKEY, 42)
VERSION = 21706  # the subnets' weights_version


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    """Each write makes its block and the finality lag more, so the SDK's wait returns."""
    config = SimnetConfig(
        host="127.0.0.1",
        port=0,
        manual=True,
        auto_produce_on_submit=True,
        start_timestamp_ms=START_MS,
    )
    async with Simnet(config) as sim:
        await sim.produce_blocks(2)
        yield sim


@pytest.fixture(scope="module")
async def sdk(simnet: Simnet) -> AsyncIterator[bittensor.Client]:
    async with bittensor.Subtensor(simnet.url) as client:
        yield client


def _hash(hotkey: bytes, netuid: int, uids: list[int], values: list[int], salt: list[int]) -> str:
    """subtensor's commit hash, SCALE-encoded by hand: blake2-256 of (hotkey, netuid, uids,
    values, salt, version_key)."""

    def u16s(items: list[int]) -> bytes:
        return bytes((len(items) * 4,)) + b"".join(i.to_bytes(2, "little") for i in items)

    data = hotkey + netuid.to_bytes(2, "little") + u16s(uids) + u16s(values) + u16s(salt)
    return "0x" + hashlib.blake2b(data + VERSION.to_bytes(8, "little"), digest_size=32).hexdigest()


async def test_owner_turns_commit_reveal_off_and_the_sdk_reads_it(
    simnet: Simnet, sdk: bittensor.Client, wallets: Wallets
):
    assert await sdk.subnets.commit_reveal_enabled(1) is True
    intent = SetHyperparameter
    result = await sdk.execute(
        intent(netuid=1, name="commit_reveal_weights_enabled", value=False), wallets.owner
    )
    assert result.success, result.message
    block = await sdk.block()
    assert await sdk.subnets.commit_reveal_enabled(1, block=block) is False
    assert simnet.world.head.subnets[1].hyperparameters["commit_reveal_weights_enabled"] is False
    # through Sudo.sudo, as root: the weights rate limit of subnet 1
    inner = await sdk.compose(
        calls.AdminUtils.sudo_set_weights_set_rate_limit(netuid=1, weights_set_rate_limit=0)
    )
    result = await sdk.submit_call(calls.Sudo.sudo(call=inner), wallets.owner)
    assert result.success, result.message
    block = await sdk.block()
    assert await sdk.hyperparameters.weights_rate_limit(1, block=block) == 0
    # anyone else: BadOrigin
    result = await sdk.execute(
        intent(netuid=1, name="commit_reveal_weights_enabled", value=True), wallets.validator
    )
    assert not result.success


async def test_set_weights_in_the_clear(simnet: Simnet, sdk: bittensor.Client, wallets: Wallets):
    """Subnet 1, commit-reveal off (the test above): //Bob's row lands in Weights."""
    with pytest.raises(StorageFunctionNotFound, match="SubnetEpochConsensus"):
        await sdk.execute(
            bittensor.SetWeights(netuid=1, uids=[3, 4], weights=[1, 3]), wallets.validator
        )
    uid = simnet.world.head.subnets[1].uid_of(VALIDATOR_HOTKEY)
    assert uid is not None
    call = calls.SubtensorModule.set_weights(
        netuid=1, dests=[3, 4], weights=[1, 3], version_key=VERSION
    )
    result = await sdk.submit_call(call, wallets.validator, signer="hotkey")
    assert result.success, result.message
    block = await sdk.block()
    assert (await sdk.weights.weights(1, block=block))[uid] == {3: 0.25, 4: 0.75}
    assert simnet.world.head.subnets[1].weights[uid] == [[3, 21845], [4, 65535]]
    assert await sdk.epochs.blocks_since_last_update(1, uid, block=block) == block - result_block(
        result
    )
    # a version key below the subnet's weights_version: refused by the chain, named
    call = calls.SubtensorModule.set_weights(netuid=1, dests=[uid], weights=[1], version_key=1)
    refused = await sdk.submit_call(call, wallets.validator, signer="hotkey")
    assert not refused.success and "version" in refused.message


def result_block(result: bittensor.ExtrinsicResult) -> int:
    return int(result.extrinsic_id.split("-")[0])  # type: ignore[union-attr]


async def test_commit_then_reveal_weights(simnet: Simnet, sdk: bittensor.Client, wallets: Wallets):
    """Subnet 2, commit-reveal on: a hash commit, revealed in the next epoch, lands in Weights."""
    uids, values, salt = [1, 2, 3], [100, 200, 300], [5, 6, 7]
    digest = _hash(VALIDATOR_HOTKEY, 2, uids, values, salt)
    result = await sdk.submit_call(
        calls.SubtensorModule.commit_weights(netuid=2, commit_hash=digest),
        wallets.validator,
        signer="hotkey",
    )
    assert result.success, result.message
    committed_at = result_block(result)
    first, _ = reveal_window(simnet.world.head.subnets[2], committed_at)
    reveal = calls.SubtensorModule.reveal_weights(
        netuid=2, uids=uids, values=values, salt=salt, version_key=VERSION
    )
    early = await sdk.submit_call(reveal, wallets.validator, signer="hotkey")
    assert not early.success
    await simnet.produce_blocks(first - simnet.head_number)
    revealed = await sdk.submit_call(reveal, wallets.validator, signer="hotkey")
    assert revealed.success, revealed.message
    block = await sdk.block()
    row = (await sdk.weights.weights(2, block=block))[0]
    assert row == pytest.approx({1: 100 / 600, 2: 200 / 600, 3: 300 / 600}, rel=1e-3)


async def test_set_a_commitment_and_serve_an_axon(
    simnet: Simnet, sdk: bittensor.Client, wallets: Wallets
):
    info = {"fields": [{"Raw12": b"sdk was here"}]}
    result = await sdk.submit_call(
        calls.Commitments.set_commitment(netuid=2, info=info), wallets.validator, signer="hotkey"
    )
    assert result.success, result.message
    block = await sdk.block()
    commitment = await sdk.identity.commitment(2, BOB, block=block)
    assert commitment is not None and commitment.data == "sdk was here"
    assert commitment.block == result_block(result)
    serve = ServeAxon(netuid=2, ip="10.1.2.3", port=8099)
    result = await sdk.execute(serve, wallets.validator)
    assert result.success, result.message
    neurons = await sdk.neurons.neurons(2, block=await sdk.block())
    axon = neurons[0].raw["axon_info"]
    assert axon["port"] == 8099
    assert simnet.world.head.subnets[2].neurons[0].lite["axon_info"]["port"] == 8099


async def test_register_and_transfer(simnet: Simnet, sdk: bittensor.Client, wallets: Wallets):
    eve = wallets.stranger
    result = await sdk.submit_call(
        calls.SubtensorModule.burned_register(netuid=2, hotkey=eve.hotkey.ss58_address), eve
    )
    assert result.success, result.message
    block = await sdk.block()
    uid = await sdk.neurons.uid(eve.hotkey.ss58_address, 2, block=block)
    assert uid is not None
    assert simnet.world.head.subnets[2].neurons[uid].hotkey == eve.hotkey.public_key
    before = await sdk.balances.get(eve.coldkey.ss58_address, block=block)
    result = await sdk.submit_call(
        calls.Balances.transfer_keep_alive(dest=eve.coldkey.ss58_address, value=5 * 10**9),
        wallets.owner,
    )
    assert result.success, result.message
    after = await sdk.balances.get(eve.coldkey.ss58_address, block=await sdk.block())
    assert after.rao - before.rao == 5 * 10**9
