"""Epoch arithmetic against subtensor's formula and turbobt's `Subnet.epoch`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from turbobt.subnet import Subnet as TurbobtSubnet

from pylon_gql.chain.epochs import blocks_until_next_epoch, epoch_at
from pylon_gql.chain.errors import NoEpochs


def subtensor_blocks_until_next_epoch(netuid: int, tempo: int, block: int) -> int:
    # run_coinbase.rs: tempo - (block_number + netuid + 1) % (tempo + 1)
    return tempo - (block + netuid + 1) % (tempo + 1)


def turbobt_epoch(block: int, netuid: int, tempo: int) -> range:
    return TurbobtSubnet.epoch(SimpleNamespace(netuid=netuid, tempo=tempo), block)  # type: ignore[arg-type]


blocks = st.integers(min_value=0, max_value=50_000_000)
netuids = st.integers(min_value=0, max_value=65535)
tempos = st.integers(min_value=1, max_value=65535)


@given(block=blocks, netuid=netuids, tempo=tempos)
def test_epoch_matches_subtensor_and_turbobt(block: int, netuid: int, tempo: int) -> None:
    epoch = epoch_at(block, netuid, tempo, commit_window_start_offset=0, commit_window_end_buffer=0)

    expected = turbobt_epoch(block, netuid, tempo)
    assert (epoch.start, epoch.end) == (expected.start, expected.stop - 1)
    assert epoch.start <= block <= epoch.end
    assert epoch.end - epoch.start == tempo
    # Subtensor runs the epoch at the start block, and next just after the end.
    assert subtensor_blocks_until_next_epoch(netuid, tempo, epoch.start) == 0
    assert subtensor_blocks_until_next_epoch(netuid, tempo, epoch.end + 1) == 0
    until = subtensor_blocks_until_next_epoch(netuid, tempo, block)
    assert blocks_until_next_epoch(block, netuid, tempo) == until
    assert epoch.blocks_remaining == (until if until else tempo + 1)


@given(block=blocks, netuid=netuids, tempo=tempos)
def test_epoch_index_counts_epochs(block: int, netuid: int, tempo: int) -> None:
    epoch = epoch_at(block, netuid, tempo, commit_window_start_offset=0, commit_window_end_buffer=0)
    following = epoch_at(
        epoch.end + 1, netuid, tempo, commit_window_start_offset=0, commit_window_end_buffer=0
    )

    assert (epoch.start + netuid + 2) % (tempo + 1) == 0
    assert following.index == epoch.index + 1
    assert following.start == epoch.end + 1


@given(
    block=blocks,
    netuid=netuids,
    tempo=tempos,
    offset=st.integers(min_value=0, max_value=1000),
    buffer=st.integers(min_value=0, max_value=1000),
)
def test_commit_window_sits_inside_the_epoch(
    block: int, netuid: int, tempo: int, offset: int, buffer: int
) -> None:
    epoch = epoch_at(
        block, netuid, tempo, commit_window_start_offset=offset, commit_window_end_buffer=buffer
    )

    assert epoch.commit_window_start == epoch.start + offset
    assert epoch.commit_window_end == epoch.end - buffer
    assert epoch.in_commit_window == (epoch.start + offset <= block <= epoch.end - buffer)


def test_epoch_of_subnet_1_at_the_finney_snapshot() -> None:
    # Subnet 1, tempo 360: the epoch runs where 360 - (block + 2) % 361 == 0, i.e. at the blocks
    # where (block + 3) % 361 == 0 (not (block + 2) % 361 == 0, as the handbook once said).
    epoch = epoch_at(6852690, 1, 360, commit_window_start_offset=180, commit_window_end_buffer=10)

    assert (epoch.start + 3) % 361 == 0
    assert epoch.start <= 6852690 <= epoch.end == epoch.start + 360
    assert epoch.commit_window_start == epoch.start + 180
    assert epoch.commit_window_end == epoch.end - 10
    assert epoch.blocks_remaining == subtensor_blocks_until_next_epoch(1, 360, 6852690)


def test_tempo_zero_runs_no_epochs() -> None:
    with pytest.raises(NoEpochs, match="tempo 0"):
        epoch_at(100, 1, 0, commit_window_start_offset=0, commit_window_end_buffer=0)
