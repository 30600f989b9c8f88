"""The node's errors over HTTP, in the project's codes and words: block 0 on a pruning node
(the simnet keeps the genesis header, its state discarded, as a pruned node does)."""

from __future__ import annotations

import pytest

from pylon_gql.simnet.genesis import GENESIS_HASH

from .conftest import Served


@pytest.mark.parametrize(
    "document",
    [
        "{ metagraph(block: 0) { neuronCount } }",
        "{ hyperparameters(block: 0) { tempo } }",
        "{ epoch(block: 0) { start } }",
        "{ subnet(block: 0) { name } }",
        "{ commitments(block: 0) { hotkey } }",
        "{ neuron(uid: 0, block: 0) { hotkey } }",
    ],
)
async def test_block_0_on_a_pruning_node_is_block_pruned_and_says_what_to_do(
    served: Served, document: str
) -> None:
    answer = await served.query(document)
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "BLOCK_PRUNED"}, error
    message = error["message"]
    assert message.startswith(f"the node no longer keeps the state of block {GENESIS_HASH}")
    assert "PYLON_ARCHIVE_NETWORK" in message and "recent block" in message
    # The node's own words stay out of the answer.
    for raw in ("Client error", "unknown Block", "UnknownBlock", "already discarded"):
        assert raw not in message


async def test_block_0_itself_is_known_without_its_time(served: Served) -> None:
    answer = await served.query("{ block(number: 0) { number hash timestamp } }")
    assert answer == {"data": {"block": {"number": 0, "hash": GENESIS_HASH, "timestamp": None}}}
