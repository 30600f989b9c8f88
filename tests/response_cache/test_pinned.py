"""The head-pinned reader: an answer kept under a head's hash is the answer at that head."""

from __future__ import annotations

import pytest

from pylon_gql.chain.errors import FutureBlock
from pylon_gql.models import BlockRef
from pylon_gql.response_cache import HeadPinnedReader
from tests.schema.fakes import FakeReader, block_hash

PIN = 105


def pinned(reader: FakeReader) -> HeadPinnedReader:
    return HeadPinnedReader(reader, BlockRef(PIN, block_hash(PIN)))


async def test_no_block_given_is_the_pinned_head_though_the_reader_moved_on():
    reader = FakeReader(head_number=PIN + 3)
    view = pinned(reader)
    assert view.head is not None and view.head.number == PIN
    assert (await view.resolve()).number == PIN
    assert "resolve" not in reader.calls  # the pinned head needs no read


async def test_a_number_past_the_pinned_head_is_a_future_block():
    view = pinned(FakeReader(head_number=PIN + 3))
    with pytest.raises(FutureBlock):
        await view.resolve(number=PIN + 1)
    assert (await view.resolve(number=PIN)).number == PIN


async def test_reads_at_a_block_are_the_readers_own():
    reader = FakeReader(head_number=PIN + 3)
    view = pinned(reader)
    ref = await view.resolve(number=PIN - 2)
    metagraph = await view.metagraph(ref)
    assert metagraph.block == ref
    assert (await view.hyperparameters(ref)).tempo == (await reader.hyperparameters(ref)).tempo
    assert (await view.commitments(ref)) == (await reader.commitments(ref))
    assert view.holds(PIN - 2)
    assert reader.calls.count("metagraph") == 1
