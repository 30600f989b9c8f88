"""ChainReader's full-metagraph reads over the counting fake chain: one node call per block
for concurrent askers, matrices in a cache of their own bounded by entries, a hotkey's
revealed commitments from the subnet's when those are cached."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.chain import reader as reader_module
from pylon_gql.chain.errors import ChainUnavailable
from pylon_gql.chain.reader import ChainReader
from pylon_gql.models_metagraph import MatrixKind
from pylon_gql.settings import Settings

from .fakes import FakeChain, block_hash, ref


def make_reader(chain: FakeChain, **settings: object) -> ChainReader:
    return ChainReader(chain, Settings(netuid=1, **settings))  # type: ignore[arg-type]


async def test_concurrent_askers_of_a_matrix_make_one_call_and_it_is_kept() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    matrices = await asyncio.gather(
        *(reader.chain_matrix(ref(10), MatrixKind.WEIGHTS) for _ in range(50))
    )
    assert chain.calls[("chain_matrix:Weights", block_hash(10))] == 1
    assert all(matrix is matrices[0] for matrix in matrices)
    # four neurons in the fake's metagraph: four rows of four
    assert matrices[0].entries == 16
    again = await reader.chain_matrix(ref(10), MatrixKind.WEIGHTS)
    assert again is matrices[0]
    assert chain.calls[("chain_matrix:Weights", block_hash(10))] == 1
    # bonds and another mechanism are reads of their own
    await reader.chain_matrix(ref(10), MatrixKind.BONDS)
    await reader.chain_matrix(ref(10), MatrixKind.WEIGHTS, mechanism=1)
    assert chain.calls[("chain_matrix:Bonds", block_hash(10))] == 1
    assert chain.calls[("chain_matrix:Weights", block_hash(10))] == 2


async def test_matrices_are_bounded_by_entries_not_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reader_module, "MATRIX_CACHE_ENTRIES", 40)  # two matrices of 16
    chain = FakeChain()
    reader = make_reader(chain, cache_blocks=128)
    for number in (10, 11, 12):
        await reader.chain_matrix(ref(number), MatrixKind.WEIGHTS)
    await reader.chain_matrix(ref(12), MatrixKind.WEIGHTS)
    await reader.chain_matrix(ref(11), MatrixKind.WEIGHTS)
    assert chain.calls[("chain_matrix:Weights", block_hash(11))] == 1  # kept
    await reader.chain_matrix(ref(10), MatrixKind.WEIGHTS)
    assert chain.calls[("chain_matrix:Weights", block_hash(10))] == 2  # gone, read again


async def test_a_failed_matrix_read_is_not_kept() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    await reader.metagraph(ref(10))  # its size is read first
    chain.failures.append(ChainUnavailable("the node dropped the connection"))
    with pytest.raises(ChainUnavailable):
        await reader.chain_matrix(ref(10), MatrixKind.WEIGHTS)
    matrix = await reader.chain_matrix(ref(10), MatrixKind.WEIGHTS)
    assert matrix.entries == 16
    assert chain.calls[("chain_matrix:Weights", block_hash(10))] == 2


async def test_a_hotkeys_revealed_commitments_come_from_the_subnets_once_cached() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    one = await reader.revealed_commitments(ref(10), "hotkey-1")
    assert [c.hotkey for c in one] == ["hotkey-1"]
    assert chain.calls[("revealed_commitments", f"{block_hash(10)}:hotkey-1")] == 1
    every = await reader.revealed_commitments(ref(10))
    assert [c.hotkey for c in every] == ["hotkey-1"]
    assert await reader.revealed_commitments(ref(10), "hotkey-2") == ()
    assert chain.calls[("revealed_commitments", f"{block_hash(10)}:hotkey-2")] == 0


async def test_the_other_reads_are_cached_per_block() -> None:
    chain = FakeChain()
    reader = make_reader(chain)
    for _ in range(3):
        await reader.neuron_stakes(ref(20))
        await reader.stake_links(ref(20))
        await reader.pending_weight_commits(ref(20))
        await reader.block_content(ref(20))
    for name in ("neuron_stakes", "stake_links", "pending_weight_commits", "block_content"):
        assert chain.calls[(name, block_hash(20))] == 1, name
    await reader.block_content(ref(21))
    assert chain.calls[("block_content", block_hash(21))] == 1
