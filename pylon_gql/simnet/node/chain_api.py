"""Runtime calls about accounts, fees, delegates and prices, from one block's state.

- `AccountNonceApi_account_nonce`: the account's `System.Account` nonce at the block (the
  pool is not counted: that is `system_accountNextIndex`).
- `TransactionPaymentApi_query_info` / `query_fee_details`: the simnet charges no fees, so the
  fee it quotes is 0 (what it takes); the weight is a nominal one.
- `DelegateInfoRuntimeApi_get_delegates` / `get_delegate`: every hotkey with a validator
  permit on some subnet is a delegate (take `DEFAULT_TAKE`), its coldkey its only nominator.
- `SwapRuntimeApi_current_alpha_price`: the pool's TAO over its alpha, in rao per alpha;
  `sim_swap_tao_for_alpha` / `sim_swap_alpha_for_tao`: a constant-product swap, no fees.
- `DelegateInfoRuntimeApi_get_delegated`: the delegates a coldkey stakes to.
- `StakeInfoRuntimeApi_get_stake_info_for_coldkey(s)` / `_for_hotkey_coldkey_netuid`: a
  neuron's alpha stake, all of it its own coldkey's.
- `SubnetRegistrationRuntimeApi_get_network_registration_cost`: `NETWORK_REGISTRATION_COST`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..state import RAO, BlockState, Subnet

# subtensor's default delegate take: 18 % of u16::MAX
DEFAULT_TAKE = 11_796
# what registering a subnet would lock (the simnet does not register subnets)
NETWORK_REGISTRATION_COST = 1_000 * RAO
# the weight every quoted call is given: a set_weights-sized call
NOMINAL_WEIGHT = {"ref_time": 200_000_000, "proof_size": 10_000}

Handler = Callable[[BlockState, dict[str, Any]], Any]


def alpha_price_rao(subnet: Subnet) -> int:
    """The pool's spot price: rao of TAO per alpha (1 TAO per alpha is 10^9)."""
    alpha_in = subnet.pool["alpha_in"]
    return subnet.pool["tao_in"] * RAO // alpha_in if alpha_in else RAO


def delegates(state: BlockState) -> dict[bytes, dict[str, Any]]:
    """hotkey -> DelegateInfo of every hotkey with a validator permit, in the order met."""
    found: dict[bytes, dict[str, Any]] = {}
    for netuid, subnet in sorted(state.subnets.items()):
        for neuron in subnet.neurons:
            lite = neuron.lite
            if not lite["validator_permit"]:
                continue
            info = found.setdefault(
                lite["hotkey"],
                {
                    "delegate_ss58": lite["hotkey"],
                    "take": DEFAULT_TAKE,
                    "nominators": [[lite["coldkey"], []]],
                    "owner_ss58": lite["coldkey"],
                    "registrations": [],
                    "validator_permits": [],
                    "return_per_1000": 0,
                    "total_daily_return": 0,
                },
            )
            info["nominators"][0][1].append([netuid, neuron.total_stake])
            info["registrations"].append(netuid)
            info["validator_permits"].append(netuid)
    return found


def stake_positions(state: BlockState, coldkey: bytes) -> list[dict[str, Any]]:
    """StakeInfo of every (hotkey, subnet) a coldkey stakes to: in the simnet, a neuron's
    whole alpha stake belongs to its own coldkey."""
    return [
        _stake_info(netuid, neuron.lite, neuron.extra)
        for netuid, subnet in sorted(state.subnets.items())
        for neuron in subnet.neurons
        if neuron.lite["coldkey"] == coldkey
    ]


def _stake_info(netuid: int, lite: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "hotkey": lite["hotkey"],
        "coldkey": lite["coldkey"],
        "netuid": netuid,
        "stake": extra["alpha_stake"],
        "locked": 0,
        "emission": lite["emission"],
        "tao_emission": 0,
        "drain": 0,
        "is_registered": True,
    }


def _stake_position(state: BlockState, arguments: dict[str, Any]) -> dict[str, Any] | None:
    subnet = state.subnets.get(arguments["netuid"])
    if subnet is None:
        return None
    for neuron in subnet.neurons:
        lite = neuron.lite
        if lite["hotkey"] == arguments["hotkey_account"]:
            if lite["coldkey"] != arguments["coldkey_account"]:
                return None
            return _stake_info(subnet.netuid, lite, neuron.extra)
    return None


def chain_calls() -> dict[str, Handler]:
    """`state_call` name -> a handler answering the value to encode with the output type."""
    return {
        "AccountNonceApi_account_nonce": _account_nonce,
        "TransactionPaymentApi_query_info": _query_info,
        "TransactionPaymentApi_query_fee_details": _fee_details,
        "DelegateInfoRuntimeApi_get_delegates": lambda s, a: list(delegates(s).values()),
        "DelegateInfoRuntimeApi_get_delegate": lambda s, a: delegates(s).get(a["delegate_account"]),
        "SwapRuntimeApi_current_alpha_price": _alpha_price,
        "SwapRuntimeApi_sim_swap_tao_for_alpha": _swap_tao_for_alpha,
        "SwapRuntimeApi_sim_swap_alpha_for_tao": _swap_alpha_for_tao,
        "DelegateInfoRuntimeApi_get_delegated": _delegated,
        "StakeInfoRuntimeApi_get_stake_info_for_coldkey": (
            lambda s, a: stake_positions(s, a["coldkey_account"])
        ),
        "StakeInfoRuntimeApi_get_stake_info_for_coldkeys": lambda s, a: [
            [coldkey, stake_positions(s, coldkey)] for coldkey in a["coldkey_accounts"]
        ],
        "StakeInfoRuntimeApi_get_stake_info_for_hotkey_coldkey_netuid": _stake_position,
        "SubnetRegistrationRuntimeApi_get_network_registration_cost": (
            lambda s, a: NETWORK_REGISTRATION_COST
        ),
    }


def _account_nonce(state: BlockState, arguments: dict[str, Any]) -> int:
    account = state.accounts.get(arguments["account"])
    return 0 if account is None else account["nonce"]


def _query_info(state: BlockState, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"weight": NOMINAL_WEIGHT, "class": "Normal", "partial_fee": 0}


def _fee_details(state: BlockState, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"inclusion_fee": None, "tip": 0}


def _delegated(state: BlockState, arguments: dict[str, Any]) -> list[Any]:
    """(DelegateInfo, (netuid, stake)) of every delegate the coldkey stakes to."""
    coldkey = arguments["delegatee_account"]
    return [
        [info, position]
        for info in delegates(state).values()
        for nominator, positions in info["nominators"]
        if nominator == coldkey
        for position in positions
    ]


def _swap_tao_for_alpha(state: BlockState, arguments: dict[str, Any]) -> dict[str, int] | None:
    # a constant-product pool without fees: alpha out = alpha_in * tao / (tao_in + tao)
    subnet = state.subnets.get(arguments["netuid"])
    tao = arguments["tao"]
    if subnet is None:
        return {"tao_amount": tao, "alpha_amount": 0, "tao_fee": 0, "alpha_fee": 0}
    pool = subnet.pool
    alpha = pool["alpha_in"] * tao // (pool["tao_in"] + tao) if tao else 0
    return {"tao_amount": tao, "alpha_amount": alpha, "tao_fee": 0, "alpha_fee": 0}


def _swap_alpha_for_tao(state: BlockState, arguments: dict[str, Any]) -> dict[str, int] | None:
    subnet = state.subnets.get(arguments["netuid"])
    alpha = arguments["alpha"]
    if subnet is None:
        return {"tao_amount": 0, "alpha_amount": alpha, "tao_fee": 0, "alpha_fee": 0}
    pool = subnet.pool
    tao = pool["tao_in"] * alpha // (pool["alpha_in"] + alpha) if alpha else 0
    return {"tao_amount": tao, "alpha_amount": alpha, "tao_fee": 0, "alpha_fee": 0}


def _alpha_price(state: BlockState, arguments: dict[str, Any]) -> int:
    subnet = state.subnets.get(arguments["netuid"])
    return 0 if subnet is None else alpha_price_rao(subnet)
