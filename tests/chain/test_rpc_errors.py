"""The node's error messages, as the project's errors in its own words."""

from __future__ import annotations

import pytest

from pylon_gql.chain.errors import BlockNotFound, BlockPruned, ChainError
from pylon_gql.chain.rpc_errors import block_error, is_transient

HASH = "0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03"


@pytest.mark.parametrize(
    ("message", "default", "kind", "words"),
    [
        (
            f"Client error: Api called for an unknown Block: State already discarded for {HASH}",
            BlockNotFound,
            BlockPruned,
            f"the node no longer keeps the state of block {HASH}",
        ),
        (
            f"Client error: UnknownBlock: State already discarded for {HASH.upper()[2:]}",
            ChainError,
            BlockPruned,
            "the node no longer keeps the state of the block",
        ),
        (
            f"Client error: UnknownBlock: Header was not found in the database: {HASH}",
            BlockNotFound,
            BlockNotFound,
            f"the node does not know block {HASH}",
        ),
        (
            f"Unknown block {HASH}",
            BlockNotFound,
            BlockNotFound,
            f"the node does not know block {HASH}",
        ),
        # Not about a block: the node's words, as the caller's default.
        ("Method not found", ChainError, ChainError, "Method not found"),
        ("unknown Block", ChainError, ChainError, "unknown Block"),
    ],
)
def test_block_errors_in_the_projects_words(
    message: str, default: type[ChainError], kind: type[ChainError], words: str
) -> None:
    error = block_error(message, default=default)
    assert type(error) is kind
    assert str(error).startswith(words)


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("Server is busy, try again later", True),  # jsonrpsee -32009
        ("Too many requests", True),  # a provider rate-limiting
        ("RPC rate limit exceeded", True),
        ("Service Unavailable", True),  # a proxy in front of a restarting node
        ("502 Bad Gateway", True),
        ("Method not found", False),
        (f"Client error: UnknownBlock: Header was not found in the database: {HASH}", False),
        ("Client error: Execution failed: Runtime panicked", False),
    ],
)
def test_errors_worth_asking_again(message: str, transient: bool) -> None:
    assert is_transient(message) is transient
