"""JSON-RPC params as the node takes them: a list in the node's order or an object by name, and
hex strings for bytes."""

from __future__ import annotations

from typing import Any

from ..errors import invalid_params

# param names in the node's order, so a list of params maps onto the same names
PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "chain_getHeader": ("hash",),
    "chain_getBlock": ("hash",),
    "chain_getBlockHash": ("hash",),
    "chain_getFinalizedHead": (),
    "chain_getHead": (),
    "state_getRuntimeVersion": ("hash",),
    "state_getMetadata": ("hash",),
    "state_call": ("name", "bytes", "hash"),
    "state_getStorage": ("key", "hash"),
    "state_getStorageAt": ("key", "hash"),
    "state_getKeys": ("prefix", "hash"),
    "state_getKeysPaged": ("prefix", "count", "startKey", "hash"),
    "state_queryStorageAt": ("keys", "hash"),
    "state_queryStorage": ("keys", "fromBlock", "toBlock"),
    "state_getStorageHash": ("key", "hash"),
    "state_getStorageSize": ("key", "hash"),
    "payment_queryInfo": ("extrinsic", "hash"),
    "system_dryRun": ("extrinsic", "hash"),
    "system_accountNextIndex": ("account",),
    "account_nextIndex": ("account",),
    "author_submitExtrinsic": ("extrinsic",),
    "author_submitAndWatchExtrinsic": ("extrinsic",),
    "author_unwatchExtrinsic": ("subscription",),
    "author_pendingExtrinsics": (),
}
# what other clients call these params
PARAM_ALIASES = {"at": "hash", "block": "hash", "start_key": "startKey", "data": "bytes"}


def normalize_params(method: str, params: Any) -> dict[str, Any]:
    names = PARAM_NAMES.get(method, ())
    if params is None:
        return {}
    if isinstance(params, list):
        if len(params) > len(names):
            raise invalid_params(f"{method} takes at most {len(names)} params")
        return dict(zip(names, params, strict=False))
    if isinstance(params, dict):
        return {PARAM_ALIASES.get(str(k), str(k)): v for k, v in params.items()}
    raise invalid_params("params must be an array or an object")


def hex_bytes(value: Any, what: str) -> bytes:
    """The bytes of a hex param (with or without 0x); Invalid params when it is not hex."""
    if not isinstance(value, str):
        raise invalid_params(f"{what} must be a hex string")
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise invalid_params(f"{what} is not valid hex") from None


def to_hex(data: bytes) -> str:
    return "0x" + data.hex()


def single_param(params: Any, names: tuple[str, ...], default: Any) -> Any:
    """The one param of a method, given first in a list or under one of `names`."""
    if isinstance(params, list):
        return params[0] if params else default
    if isinstance(params, dict):
        for name in names:
            if name in params:
                return params[name]
    return default
