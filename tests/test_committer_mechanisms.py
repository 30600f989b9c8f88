"""The committer with weights of several mechanisms, over a scripted chain and a real store
(SQLite and PostgreSQL): each mechanism's weights are committed once per epoch with its own
attempt (mechanism 0 first), a mechanism without weights or that the subnet lacks is skipped,
and mechanism 0 alone commits exactly as before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pylon_gql.store import WeightStore
from tests.test_committer import FakeReader, FakeWriter, make, run_blocks


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WeightStore]:
    store = WeightStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_each_mechanism_is_committed_once_per_epoch(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    reader.mechanism_count = 2
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-1", 2.0)
    await store.set_weight(7, "hotkey-2", 3.0, mechanism=1)
    await run_blocks(committer, reader, 7, 26)  # epochs at 7 and 17
    assert writer.mechanisms == [0, 1, 0, 1]
    assert writer.calls[0][2] == {0: 0.0, 1: 2.0, 2: 0.0, 3: 0.0}
    assert writer.calls[1][2] == {0: 0.0, 1: 0.0, 2: 3.0, 3: 0.0}
    log = list(reversed(await store.commits()))
    assert [(c.epoch, c.mechanism, c.status) for c in log] == [
        (7, 0, "finalized"),
        (7, 1, "finalized"),
        (17, 0, "finalized"),
        (17, 1, "finalized"),
    ]
    assert (await store.last_landed_commit(1, mechanism=1)) == log[3]


async def test_a_cleared_or_missing_mechanism_is_skipped(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    reader.mechanism_count = 2
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-1", 2.0)
    await store.set_weight(7, "hotkey-2", 3.0, mechanism=1)
    await store.set_weight(7, "hotkey-3", 1.0, mechanism=2)  # the subnet has no mechanism 2
    await store.clear_weights(17, mechanism=1)
    await run_blocks(committer, reader, 17, 26)
    assert writer.mechanisms == [0]  # mechanism 1 was cleared, 2 does not exist
    # without mechanism 0's weights, mechanism 1's are still committed
    await store.clear_weights(27)
    await store.set_weight(27, "hotkey-2", 4.0, mechanism=1)
    await run_blocks(committer, reader, 27, 36)
    assert writer.mechanisms == [0, 1]


async def test_mechanism_zero_alone_reads_no_mechanisms(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    reads: list[object] = []

    async def counted(ref: object) -> object:
        reads.append(ref)
        raise AssertionError("mechanism 0 alone needs no mechanism count")

    reader.mechanisms = counted  # type: ignore[method-assign]
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-1", 2.0)
    await run_blocks(committer, reader, 7, 16)
    assert writer.mechanisms == [0] and reads == []
