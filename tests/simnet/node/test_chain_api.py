"""Runtime calls about accounts, fees, delegates, stake and prices, from the world state."""

from __future__ import annotations

from typing import Any

from pylon_gql.simnet import Simnet
from pylon_gql.simnet.keys import DEV_ACCOUNTS, VALIDATOR_COLDKEY, VALIDATOR_HOTKEY
from pylon_gql.simnet.node.runtime_api import RuntimeApi
from pylon_gql.simnet.runtime import get_runtime

from ..conftest import SNAPSHOT_HASH


def _call(simnet: Simnet, method: str, block_hash: str = SNAPSHOT_HASH, **arguments: Any) -> Any:
    runtime = get_runtime()
    state = simnet.world.state_of(block_hash)
    assert state is not None
    answer = RuntimeApi(runtime).call(state, method, runtime.encode_call_input(method, **arguments))
    return runtime.codec.decode(runtime.methods[method].output, answer)


def test_account_nonce_is_the_account_s(simnet: Simnet):
    alice = DEV_ACCOUNTS["//Alice"]
    assert _call(simnet, "AccountNonceApi_account_nonce", account=alice) == 0
    assert _call(simnet, "AccountNonceApi_account_nonce", account=bytes(32)) == 0


def test_fees_are_quoted_as_taken_none(simnet: Simnet):
    info = _call(simnet, "TransactionPaymentApi_query_info", uxt=b"\x00", len=1)
    assert info["partial_fee"] == 0
    assert info["weight"]["ref_time"] > 0


def test_the_validator_s_stake_and_delegation(simnet: Simnet):
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    bob = state.subnets[2].neurons[0]
    assert bob.hotkey == VALIDATOR_HOTKEY
    positions = _call(
        simnet, "StakeInfoRuntimeApi_get_stake_info_for_coldkey", coldkey_account=VALIDATOR_COLDKEY
    )
    assert [(p["netuid"], p["hotkey"], p["stake"]) for p in positions] == [
        (2, VALIDATOR_HOTKEY, bob.extra["alpha_stake"])
    ]
    one = _call(
        simnet,
        "StakeInfoRuntimeApi_get_stake_info_for_hotkey_coldkey_netuid",
        hotkey_account=VALIDATOR_HOTKEY,
        coldkey_account=VALIDATOR_COLDKEY,
        netuid=2,
    )
    assert one == positions[0]
    delegates = _call(simnet, "DelegateInfoRuntimeApi_get_delegates")
    permitted = {
        n.hotkey for s in state.subnets.values() for n in s.neurons if n.lite["validator_permit"]
    }
    assert {d["delegate_ss58"] for d in delegates} == permitted
    mine = _call(simnet, "DelegateInfoRuntimeApi_get_delegate", delegate_account=VALIDATOR_HOTKEY)
    assert mine["validator_permits"] == [2]


def test_alpha_price_is_the_pool_s(simnet: Simnet):
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    pool = state.subnets[1].pool
    price = _call(simnet, "SwapRuntimeApi_current_alpha_price", netuid=1)
    assert price == pool["tao_in"] * 10**9 // pool["alpha_in"]
    assert _call(simnet, "SwapRuntimeApi_current_alpha_price", netuid=9) == 0


def test_swap_quotes_follow_the_pool(simnet: Simnet):
    state = simnet.world.state_of(SNAPSHOT_HASH)
    assert state is not None
    pool = state.subnets[1].pool
    tao = 10 * 10**9
    quote = _call(simnet, "SwapRuntimeApi_sim_swap_tao_for_alpha", netuid=1, tao=tao)
    assert quote["alpha_amount"] == pool["alpha_in"] * tao // (pool["tao_in"] + tao)
    back = _call(
        simnet, "SwapRuntimeApi_sim_swap_alpha_for_tao", netuid=1, alpha=quote["alpha_amount"]
    )
    assert back["tao_amount"] < tao  # slippage, both ways
    assert back["tao_fee"] == quote["tao_fee"] == 0


def test_delegated_lists_the_coldkey_s_delegates(simnet: Simnet):
    delegated = _call(
        simnet, "DelegateInfoRuntimeApi_get_delegated", delegatee_account=VALIDATOR_COLDKEY
    )
    assert [(info["delegate_ss58"], position[0]) for info, position in delegated] == [
        (VALIDATOR_HOTKEY, 2)
    ]
