"""What the node's JSON-RPC error messages mean for a caller.

turbobt keeps only the message of a JSON-RPC error (and the code only for 1010 and 4003), so
the message is all there is to go by. A block the node cannot answer for becomes an error of the
project's own (`BlockPruned`, `BlockNotFound`) in its own words, naming the block's hash; the
node's words ("Client error: Api called for an unknown Block: State already discarded for
0x...") go to the log at DEBUG, not to the client.
"""

from __future__ import annotations

import logging
import re

from .errors import BlockNotFound, BlockPruned, ChainError

_PRUNED_MARKERS = ("state already discarded", "pruned")
#: How substrate says it has no such block: `UnknownBlock: Header was not found in the
#: database`, `Api called for an unknown Block`, `Unknown block`.
_UNKNOWN_BLOCK_MARKERS = ("header was not found", "unknown block")
_NO_METHOD_MARKERS = ("method not found", "not supported", "unsupported")
#: What a node (or the provider in front of it) says when asking again shortly will do: it
#: sheds load (jsonrpsee's -32009 "Server is busy, try again later"), rate-limits ("Too many
#: requests", "rate limit exceeded"), or is briefly out of service (a proxy's 502/503).
_TRANSIENT_MARKERS = (
    "server is busy",
    "try again later",
    "too many requests",
    "rate limit",
    "temporarily unavailable",
    "service unavailable",
    "bad gateway",
)
_BLOCK_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

logger = logging.getLogger(__name__)


#: The chain's own refusals whose words a provider's rate limit shares: subtensor's
#: `SettingWeightsTooFast` ("... exceeded the rate limit for setting weights") is a verdict on
#: the extrinsic, not a busy node; asking again at once changes nothing.
_CHAIN_REFUSAL_MARKERS = ("for setting weights", "weightstoofast", "toofast", "custom error")


def is_transient(message: str) -> bool:
    """Whether the node's error says the same request may succeed if asked again shortly."""
    return _matches(message, _TRANSIENT_MARKERS) and not _matches(message, _CHAIN_REFUSAL_MARKERS)


def is_unknown_method(message: str) -> bool:
    return _matches(message, _NO_METHOD_MARKERS)


def block_error(message: str, *, default: type[ChainError]) -> ChainError:
    """The node's error about a block, as the project's: `BlockPruned` when the node no longer
    keeps the block's state, `BlockNotFound` when it does not know the block (and `default`
    says that is what the error is about), else `default` with the node's message."""
    found = _BLOCK_HASH.search(message)
    block = f"block {found.group().lower()}" if found else "the block"
    error: ChainError
    if _matches(message, _PRUNED_MARKERS):
        error = BlockPruned(
            f"the node no longer keeps the state of {block} (it keeps only recent blocks' state)"
        )
    elif issubclass(default, BlockNotFound) and _matches(message, _UNKNOWN_BLOCK_MARKERS):
        error = default(f"the node does not know {block}")
    else:
        return default(message)
    logger.debug("%s: the node said %r", error, message)
    return error


def _matches(message: str, markers: tuple[str, ...]) -> bool:
    message = message.lower()
    return any(marker in message for marker in markers)
