"""Epochs through GraphQL and the real ChainReader, for several tempos and netuids.

The chain engineer checks the pure function exhaustively; this checks that the schema serves
what subtensor's formula says, with the tempo the chain has at each block.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pylon_gql.chain.reader import ChainReader
from pylon_gql.models import BlockRef, Hyperparameters
from pylon_gql.schema import Context, create_schema

from .fakes import FakeReader, block_hash, make_settings

HEAD = 20_000


class TempoChain:
    """Just enough of a node for `ChainReader.epoch`: blocks up to HEAD and one tempo."""

    def __init__(self, tempo: int) -> None:
        self.tempo = tempo

    async def finalized_head(self) -> BlockRef:
        return BlockRef(HEAD, block_hash(HEAD))

    async def block_hash(self, number: int) -> str | None:
        return block_hash(number) if number <= HEAD else None

    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters:
        base = await FakeReader().hyperparameters(ref)
        return dataclasses.replace(base, tempo=self.tempo)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"epoch needs no {name}")


@pytest.mark.parametrize("netuid", [1, 3, 64])
@pytest.mark.parametrize("tempo", [1, 10, 99, 360, 1000])
async def test_epoch_matches_subtensor(netuid: int, tempo: int) -> None:
    settings = make_settings(
        netuid=netuid, commit_window_start_offset=0, commit_window_end_buffer=0
    )
    reader = ChainReader(TempoChain(tempo), settings)  # type: ignore[arg-type]
    reader.set_head(BlockRef(HEAD, block_hash(HEAD)))
    schema = create_schema(settings)
    context = Context(settings=settings, reader=reader, request_id="t")

    def blocks_until_next_epoch(block: int) -> int:  # subtensor's
        return tempo - (block + netuid + 1) % (tempo + 1)

    runs = [b for b in range(HEAD - 2 * tempo - 3, HEAD + 1) if blocks_until_next_epoch(b) == 0]
    blocks = {HEAD, HEAD - 1, HEAD - tempo} | {r + d for r in runs[-2:] for d in (-1, 0, 1)}
    for number in sorted(b for b in blocks if b <= HEAD):
        result = await schema.execute(
            "query($b: Int) { epoch(block: $b) { tempo netuid start end blocksRemaining } }",
            variable_values={"b": number},
            context_value=context,
        )
        assert result.errors is None
        epoch = result.data["epoch"]  # type: ignore[index]
        # the epoch starts at the last block, at or before this one, where the epoch ran
        start = next(
            b for b in range(number, number - tempo - 1, -1) if blocks_until_next_epoch(b) == 0
        )
        assert epoch == {
            "tempo": tempo,
            "netuid": netuid,
            "start": start,
            "end": start + tempo,
            "blocksRemaining": start + tempo + 1 - number,
        }, number
        until = blocks_until_next_epoch(number)
        assert until == 0 or number + until == epoch["end"] + 1


async def test_a_subnet_with_tempo_0_has_no_epochs_and_says_so() -> None:
    settings = make_settings(netuid=1)
    reader = ChainReader(TempoChain(0), settings)  # type: ignore[arg-type]
    reader.set_head(BlockRef(HEAD, block_hash(HEAD)))
    schema = create_schema(settings)
    context = Context(settings=settings, reader=reader, request_id="t")
    for document in (
        "{ epoch { start } }",
        "{ hyperparameters { tempo } epoch { index } }",
    ):
        result = await schema.execute(document, context_value=context)
        [error] = result.errors or []
        assert error.extensions == {"code": "NO_EPOCHS"}, document
        assert "tempo 0" in error.message
    # What does not need an epoch still answers.
    ok = await schema.execute("{ hyperparameters { tempo } }", context_value=context)
    assert ok.errors is None and ok.data == {"hyperparameters": {"tempo": 0}}
