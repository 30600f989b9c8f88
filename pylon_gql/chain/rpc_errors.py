"""What the node's JSON-RPC error messages mean for a caller.

turbobt keeps only the message of a JSON-RPC error (and the code only for 1010 and 4003), so
the message is all there is to go by.
"""

from __future__ import annotations

from .errors import BlockPruned, ChainError

_PRUNED_MARKERS = ("state already discarded", "pruned")
_NO_METHOD_MARKERS = ("method not found", "not supported", "unsupported")
#: A node shedding load (jsonrpsee's -32009) is, for the caller, a node not answering.
_BUSY_MARKERS = ("server is busy", "try again later")


def is_busy(message: str) -> bool:
    return _matches(message, _BUSY_MARKERS)


def is_unknown_method(message: str) -> bool:
    return _matches(message, _NO_METHOD_MARKERS)


def block_error(message: str, *, default: type[ChainError]) -> ChainError:
    """`BlockPruned` when the node says it no longer keeps the state, else `default`."""
    if _matches(message, _PRUNED_MARKERS):
        return BlockPruned(message)
    return default(message)


def _matches(message: str, markers: tuple[str, ...]) -> bool:
    message = message.lower()
    return any(marker in message for marker in markers)
