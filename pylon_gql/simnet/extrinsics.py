"""Signed extrinsics checked as a node's transaction pool checks them, on submission.

`check` decodes an extrinsic with the metadata and validates it against the best block
(format, signer, era, nonce, sr25519/ed25519 signature over the signing payload). An invalid one
raises the `RpcError` a node answers: 1001 bad format, 1010 "Invalid Transaction" with the
reason, 1011 for an unsigned or unknown signer, 1013/1014 for a duplicate in the pool. A valid
one comes back as the `Transaction` the pool keeps; `dispatch.py` runs it in a block.
"""

from __future__ import annotations

import struct
from typing import Any

from bittensor.keyfiles import Keypair

from ..scale import ScaleError, decode_compact
from .errors import RpcError, invalid_transaction
from .hashing import blake2_256
from .runtime import Runtime
from .transaction import Transaction, extrinsic_hash
from .world import World

SIGNED_V4 = 0x84


def check(runtime: Runtime, world: World, data: bytes) -> Transaction:
    """Decode and validate an extrinsic against the best block, as the pool does on submit."""
    fmt = runtime.extrinsic
    codec = runtime.codec
    try:
        length, offset = decode_compact(data, 0)
        if length != len(data) - offset:
            raise ScaleError(f"the length prefix says {length} bytes, {len(data) - offset} follow")
        if data[offset] != SIGNED_V4:
            if data[offset] == fmt.version:
                # an unsigned call: only inherents are, and those no pool takes
                raise RpcError(
                    1011,
                    "Unknown Transaction Validity",
                    "Could not find an unsigned validator for the unsigned transaction",
                )
            raise ScaleError(f"unsupported extrinsic version byte {data[offset]:#x}")
        offset += 1
        address, offset = codec.decoder(fmt.address_type)(data, offset)
        signature, offset = codec.decoder(fmt.signature_type)(data, offset)
        extra_start = offset
        extras: dict[str, Any] = {}
        for identifier, type_id, _ in fmt.extensions:
            extras[identifier], offset = codec.decoder(type_id)(data, offset)
        extra_bytes = data[extra_start:offset]
        era_bytes = _era_bytes(data, extra_start, runtime)
        call_bytes = data[offset:]
        call = codec.decode(fmt.call_type, call_bytes)
    except (ScaleError, IndexError, struct.error, ValueError, KeyError, TypeError) as e:
        raise RpcError(1001, f"Extrinsic has invalid format: {e}") from None

    if not isinstance(address, dict) or "Id" not in address:
        raise RpcError(
            1011,
            "Unknown Transaction Validity",
            "Could not lookup information required to validate the transaction",
        )
    signer: bytes = address["Id"]
    head = world.head
    current = head.number + 1  # a transaction is validated for the block after the best one

    birth = era_birth(era_bytes, current)
    if birth is None:
        birth_hash = world.genesis_hash
    else:
        found = world.hash_by_number.get(birth)
        if found is None or birth > head.number:
            raise invalid_transaction("Transaction has an ancient birth block")
        birth_hash = found

    version = runtime.runtime_version
    additional = {
        "CheckSpecVersion": version["specVersion"].to_bytes(4, "little"),
        "CheckTxVersion": version["transactionVersion"].to_bytes(4, "little"),
        "CheckGenesis": bytes.fromhex(world.genesis_hash[2:]),
        "CheckMortality": bytes.fromhex(birth_hash[2:]),
        # mode Disabled: no metadata hash; Enabled would need one, which the simnet lacks
        "CheckMetadataHash": b"\x00",
    }
    payload = (
        call_bytes
        + extra_bytes
        + b"".join(additional.get(identifier, b"") for identifier, _, _ in fmt.extensions)
    )
    if len(payload) > 256:
        payload = blake2_256(payload)
    if not _verify(signer, signature, payload):
        raise invalid_transaction("Transaction has a bad signature")

    nonce = extras.get("CheckNonce", 0)
    account_nonce = world.account_nonce(signer)
    if nonce < account_nonce:
        raise invalid_transaction("Transaction is outdated")
    transaction_hash = extrinsic_hash(data)
    queued = [t for t in (*world.pool, *world.future) if t.signer == signer]
    for other in queued:
        if other.hash == transaction_hash:
            raise RpcError(
                1013, "Transaction Already Imported", "The transaction is already in the pool."
            )
        if other.nonce == nonce:
            raise RpcError(
                1014,
                "Priority is too low: (0 vs 0)",
                "The transaction has too low priority to replace another transaction already "
                "in the pool.",
            )
    # a nonce ahead of the next free one is valid too: the world parks it in its future queue

    ((pallet, inner),) = call.items()
    ((function, args),) = inner.items() if isinstance(inner, dict) else ((inner, {}),)
    return Transaction(
        data=data,
        hash=transaction_hash,
        signer=signer,
        nonce=nonce,
        pallet=pallet,
        function=function,
        args=args if isinstance(args, dict) else {},
    )


def _era_bytes(data: bytes, offset: int, runtime: Runtime) -> bytes:
    """The raw era (CheckMortality) inside the extras that start at `offset`."""
    codec = runtime.codec
    for identifier, type_id, _ in runtime.extrinsic.extensions:
        start = offset
        _, offset = codec.decoder(type_id)(data, offset)
        if identifier == "CheckMortality":
            return data[start:offset]
    return b"\x00"


def era_birth(era: bytes, current: int) -> int | None:
    """The block a mortal era was made at, seen from block `current`; None: immortal."""
    if not era or era[0] == 0:
        return None
    encoded = era[0] | (era[1] << 8)
    period = 2 << (encoded % 16)
    quantize = max(period >> 12, 1)
    phase = (encoded >> 4) * quantize
    return (max(current, phase) - phase) // period * period + phase


def _verify(signer: bytes, signature: Any, payload: bytes) -> bool:
    if not isinstance(signature, dict):
        return False
    ((scheme, raw),) = signature.items()
    crypto = {"Sr25519": 1, "Ed25519": 0}.get(scheme)
    if crypto is None:
        return False  # ECDSA signatures are not simulated
    try:
        return bool(Keypair(public_key=signer, crypto_type=crypto).verify(payload, bytes(raw)))
    except Exception:
        return False
