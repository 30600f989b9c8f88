"""A checked signed extrinsic: made by the pool's checks (`extrinsics.py`), kept in the world's
pool until a block takes it, then run by the dispatcher (`dispatch.py`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .hashing import blake2_256


def extrinsic_hash(data: bytes) -> str:
    """How a node names an extrinsic: 0x + blake2-256 of its bytes as submitted."""
    return "0x" + blake2_256(data).hex()


@dataclasses.dataclass(frozen=True)
class Transaction:
    """A checked signed extrinsic, waiting in the pool or included in a block."""

    data: bytes  # the extrinsic as submitted (compact length + body)
    hash: str  # extrinsic_hash(data)
    signer: bytes
    nonce: int
    pallet: str
    function: str
    args: Mapping[str, Any]
