"""What a validator's and a subnet owner's code write through the bittensor SDK, each write
read back through the SDK and compared with the simnet's world state.

The SDK's own `SetWeights` / `CommitWeights` / `BurnedRegister` intents (and `bt.set_weights`,
which runs `SetWeights`) read storage items of newer runtimes (`SubnetEpochConsensus`,
`CollateralLockShare`) that the simnet's spec-318 metadata does not have, so the SDK refuses
them before signing (pinned by `test_intents_that_refuse_on_the_client_side`: a newer SDK or
metadata that fixes one shows up there); weights and registrations go through its raw-call path
(`client.submit_call(bittensor.calls...)`), which is what those intents send. `RevealWeights`,
`Transfer`, `ServeAxon` and `SetHyperparameter` work as intents.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable

import bittensor
import pytest
from bittensor._transport.errors import StorageFunctionNotFound
from bittensor.intents.base import Intent
from bittensor.intents.hyperparameters import SetHyperparameter
from bittensor.intents.serving import ServeAxon
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.hash_commits import reveal_window
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY

from ..conftest import Wallets
from .conftest import writing_simnet

calls = bittensor.calls
BOB = ss58_encode(VALIDATOR_HOTKEY, 42)
VERSION = 21706  # the subnets' weights_version


@pytest.fixture(scope="module")
async def simnet() -> AsyncIterator[Simnet]:
    async with writing_simnet() as sim:
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


# intent -> the storage item of a newer runtime it reads before signing
REFUSED: dict[str, tuple[Callable[[], Intent], str]] = {
    # the weights preflight reads the subnet's epoch-consensus mode, commit-reveal on or off
    "SetWeights": (
        lambda: bittensor.SetWeights(netuid=2, uids=[1, 2], weights=[1, 1]),
        "SubnetEpochConsensus",
    ),
    "CommitWeights": (
        lambda: bittensor.CommitWeights(netuid=2, uids=[1, 2], weights=[1, 1]),
        "SubnetEpochConsensus",
    ),
    # the registration's burn/collateral split reads the collateral lock share
    "BurnedRegister": (lambda: bittensor.BurnedRegister(netuid=2), "CollateralLockShare"),
}
# `bt.set_weights(...)` is SetWeights run by a shared blocking client: the same refusal. Not
# here: closing that client in a process whose async client has executed intents waits 5 s
# (bittensor 11.3, client side), and the simnet's stop 10 s more for its open connection.


@pytest.mark.parametrize("name", REFUSED)
async def test_intents_that_refuse_on_the_client_side(
    simnet: Simnet, sdk: bittensor.Client, wallets: Wallets, name: str
):
    """Refused before anything is signed or sent: no block is made, the pool stays empty."""
    make, item = REFUSED[name]
    wallet = wallets.stranger if name == "BurnedRegister" else wallets.validator
    head = simnet.head_number
    with pytest.raises(StorageFunctionNotFound, match=f"SubtensorModule.{item} not found"):
        await sdk.execute(make(), wallet)
    assert simnet.head_number == head and not simnet.world.pool


async def test_set_weights_in_the_clear(simnet: Simnet, sdk: bittensor.Client, wallets: Wallets):
    """Subnet 1, commit-reveal off (the test above): //Bob's row lands in Weights."""
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
    """Subnet 2, commit-reveal on: a hash commit, revealed in the next epoch with the SDK's
    `RevealWeights` (which max-upscales the weights to u16 before hashing), lands in Weights."""
    uids, values, salt = [1, 2, 3], [21845, 43690, 65535], [5, 6, 7]
    digest = _hash(VALIDATOR_HOTKEY, 2, uids, values, salt)
    result = await sdk.submit_call(
        calls.SubtensorModule.commit_weights(netuid=2, commit_hash=digest),
        wallets.validator,
        signer="hotkey",
    )
    assert result.success, result.message
    committed_at = result_block(result)
    first, _ = reveal_window(simnet.world.head.subnets[2], committed_at)
    reveal = bittensor.RevealWeights(
        netuid=2, uids=uids, weights=[1.0, 2.0, 3.0], salt=salt, version_key=VERSION
    )
    early = await sdk.execute(reveal, wallets.validator)
    assert not early.success and "too early" in str(early.message)  # RevealTooEarly
    await simnet.produce_blocks(first - simnet.head_number - 1)  # the reveal lands in `first`
    revealed = await sdk.execute(reveal, wallets.validator)
    assert revealed.success, revealed.message
    assert result_block(revealed) == first
    assert simnet.world.head.subnets[2].weights[0] == [[1, 21845], [2, 43690], [3, 65535]]
    block = await sdk.block()
    row = (await sdk.weights.weights(2, block=block))[0]
    assert row == pytest.approx({1: 1 / 6, 2: 2 / 6, 3: 3 / 6}, rel=1e-3)


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
    transfer = bittensor.Transfer(dest_ss58=eve.coldkey.ss58_address, amount_tao=5)
    result = await sdk.execute(transfer, wallets.owner)  # transfer_keep_alive
    assert result.success, result.message
    after = await sdk.balances.get(eve.coldkey.ss58_address, block=await sdk.block())
    assert after.rao - before.rao == 5 * 10**9
