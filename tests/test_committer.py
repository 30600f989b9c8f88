"""The committer over a scripted chain and a real store, SQLite and PostgreSQL alike: when it
commits, what, and how it records it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from pylon_gql import metrics
from pylon_gql.chain.epochs import epoch_at
from pylon_gql.chain.errors import ChainUnavailable, ExtrinsicFailed
from pylon_gql.committer import CommitRefused, Committer
from pylon_gql.events import EventHub, NewBlock
from pylon_gql.keys import Signer
from pylon_gql.models import (
    BlockRef,
    CommitAttempt,
    CommitMode,
    CommitTrigger,
    Epoch,
    ExtrinsicReceipt,
    Hyperparameters,
    Metagraph,
    weights_digest,
)
from pylon_gql.models_metagraph import Mechanisms
from pylon_gql.settings import Settings
from pylon_gql.store import EpochClaimed, WeightStore
from tests.chain.fakes import eventually, hyperparameters, neuron, ref

NETUID = 1
TEMPO = 9  # epochs of 10 blocks: with netuid 1 they start at blocks 7, 17, 27, ...


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {
        "netuid": NETUID,
        "commit_window_start_offset": 3,
        "commit_window_end_buffer": 2,
        "commit_retry_min_backoff": 0.01,
        "commit_retry_max_backoff": 0.02,
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[call-arg]


class FakeReader:
    def __init__(self, neurons: int = 4, commit_reveal: bool = False) -> None:
        self.head: BlockRef | None = None
        self.metagraph_neurons = tuple(neuron(uid) for uid in range(neurons))
        self.params: Hyperparameters = dataclasses.replace(
            hyperparameters(TEMPO), commit_reveal_weights_enabled=commit_reveal
        )
        #: The tempo on chain from now on (the owner may change it).
        self.tempo = TEMPO
        #: The subnet's mechanisms (`MechanismCountCurrent`).
        self.mechanism_count = 1

    async def epoch(self, ref: BlockRef) -> Epoch:
        return epoch_at(
            ref.number, NETUID, self.tempo, commit_window_start_offset=3, commit_window_end_buffer=2
        )

    async def metagraph(self, ref: BlockRef) -> Metagraph:
        return Metagraph(netuid=NETUID, block=ref, neurons=self.metagraph_neurons)

    async def hyperparameters(self, ref: BlockRef) -> Hyperparameters:
        return self.params

    async def mechanisms(self, ref: BlockRef) -> Mechanisms:
        return Mechanisms(netuid=NETUID, block=ref, count=self.mechanism_count, split=None)


class FakeWriter:
    """Records each write; fails the next `failures` ones with `error`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[int, float]]] = []
        #: The mechanism of each call.
        self.mechanisms: list[int] = []
        self.failures = 0
        self.error: Exception = ExtrinsicFailed("set_weights failed: SettingWeightsTooFast", "X")
        self.landing_block = 0
        #: Set: each write waits until it is (a write in flight, for as long as a test needs).
        self.hold: asyncio.Event | None = None

    async def _write(
        self,
        mode: str,
        netuid: int,
        weights: dict[int, float],
        on_in_block: Callable[[BlockRef], Awaitable[None]] | None,
        reveal_round: int | None,
    ) -> ExtrinsicReceipt:
        self.calls.append((mode, netuid, dict(weights)))
        if self.hold is not None:
            await self.hold.wait()
        if self.failures:
            self.failures -= 1
            raise self.error
        if on_in_block is not None:
            await on_in_block(ref(self.landing_block))
        return ExtrinsicReceipt(ref(self.landing_block + 1), reveal_round)

    async def set_weights(
        self, netuid: int, weights: dict[int, float], wallet: Any, **kwargs: Any
    ) -> ExtrinsicReceipt:
        self.mechanisms.append(kwargs.get("mechanism", 0))
        return await self._write("set", netuid, weights, kwargs.get("on_in_block"), None)

    async def commit_weights(
        self, netuid: int, weights: dict[int, float], wallet: Any, **kwargs: Any
    ) -> ExtrinsicReceipt:
        self.mechanisms.append(kwargs.get("mechanism", 0))
        return await self._write("commit_reveal", netuid, weights, kwargs.get("on_in_block"), 77)


def commit_count(**labels: str) -> float:
    return metrics.REGISTRY.get_sample_value("pylon_weight_commits_total", labels) or 0.0


HOTKEY = Signer(wallet=object(), key="hotkey", ss58_address="hotkey-0")  # uid 0


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WeightStore]:
    store = WeightStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def make(
    store: WeightStore, reader: FakeReader, writer: FakeWriter, **values: Any
) -> tuple[Committer, EventHub]:
    hub = EventHub()
    committer = Committer(settings(**values), reader, writer, store, hub, HOTKEY)
    return committer, hub


async def run_blocks(committer: Committer, reader: FakeReader, first: int, last: int) -> None:
    """The follower's blocks, one by one; each attempt finishes before the next block."""
    for number in range(first, last + 1):
        reader.head = ref(number)
        await committer.on_block(ref(number))
        await committer.wait()


async def test_commits_once_per_epoch_inside_the_window(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-1", 2.0)
    await store.set_weight(7, "hotkey-3", 1.0)
    await store.set_weight(7, "5NotRegistered", 5.0)  # no uid: left out
    await run_blocks(committer, reader, 7, 36)  # epochs at 7, 17, 27: windows 10-14, 20-24, ...
    assert [mode for mode, _, _ in writer.calls] == ["set", "set", "set"]
    assert writer.calls[0][2] == {0: 0.0, 1: 2.0, 2: 0.0, 3: 1.0}
    log = await store.commits()
    assert [(c.block, c.epoch, c.weights_epoch, c.status) for c in reversed(log)] == [
        (1, 7, 7, "finalized"),  # landed in the block the chain said
        (1, 17, 7, "finalized"),  # no weights in epoch 17: epoch 7's are the latest
        (1, 27, 7, "finalized"),
    ]
    assert log[0].digest == weights_digest({0: 0.0, 1: 2.0, 2: 0.0, 3: 1.0})
    assert log[0].uid_count == 4 and log[0].trigger == "auto"


async def test_every_n_epochs_and_commit_reveal(store: WeightStore) -> None:
    reader, writer = FakeReader(commit_reveal=True), FakeWriter()
    committer, _ = make(store, reader, writer, commit_every_epochs=2)
    await store.set_weight(7, "hotkey-0", 1.0)
    await run_blocks(committer, reader, 7, 56)  # epochs 7, 17, 27, 37, 47
    log = list(reversed(await store.commits()))
    assert [c.epoch for c in log] == [7, 27, 47]
    assert {c.mode for c in log} == {"commit_reveal"} and {c.reveal_round for c in log} == {77}


async def test_nothing_outside_the_window_and_no_weights_no_attempt(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(store, reader, writer)
    await run_blocks(committer, reader, 7, 16)  # a whole epoch without weights
    assert writer.calls == [] and await store.commits() == []
    assert committer.state == "no_weights"
    await store.set_weight(17, "hotkey-0", 1.0)
    await run_blocks(committer, reader, 17, 19)  # before the window
    await run_blocks(committer, reader, 25, 26)  # after it
    assert writer.calls == []


async def test_a_failure_is_recorded_and_retried_with_backoff_while_the_window_is_open(
    store: WeightStore,
) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, hub = make(store, reader, writer)
    await store.set_weight(7, "hotkey-0", 1.0)
    writer.failures = 2
    events = hub.subscribe(CommitAttempt)
    labels = {"mode": "set", "trigger": "auto"}
    failed_before = commit_count(**labels, status="failed")
    finalized_before = commit_count(**labels, status="finalized")
    for number in range(10, 15):  # the window of epoch 7
        reader.head = ref(number)
        await committer.on_block(ref(number))
        await committer.wait()
        await asyncio.sleep(0.05)  # past the backoff: the next block may retry
    log = list(reversed(await store.commits()))
    assert [c.status for c in log] == ["failed", "failed", "finalized"]
    assert "SettingWeightsTooFast" in (log[0].error or "")
    assert commit_count(**labels, status="failed") == failed_before + 2  # /metrics
    assert commit_count(**labels, status="finalized") == finalized_before + 1
    statuses = []
    while not events._queue.empty():
        statuses.append((await anext(events)).status)
    assert statuses == [
        "pending", "failed", "pending", "failed", "pending", "in_block", "finalized"
    ]  # fmt: skip


async def test_backoff_holds_back_a_retry_until_it_passes(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(
        store, reader, writer, commit_retry_min_backoff=3600, commit_retry_max_backoff=3600
    )
    await store.set_weight(7, "hotkey-0", 1.0)
    writer.failures = 1
    writer.error = ChainUnavailable("node gone")
    await run_blocks(committer, reader, 10, 14)
    assert len(writer.calls) == 1 and committer.state == "backing_off"
    assert [c.status for c in await store.commits()] == ["failed"]
    await run_blocks(committer, reader, 20, 20)  # a new epoch's window: backoff starts over
    assert len(writer.calls) == 2


async def test_a_restart_never_commits_twice_in_an_epoch(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-0", 1.0)
    await run_blocks(committer, reader, 10, 11)
    assert len(writer.calls) == 1
    restarted, _ = make(store, reader, writer)  # a new process: it knows only the database
    await run_blocks(restarted, reader, 12, 14)
    assert len(writer.calls) == 1
    await run_blocks(restarted, reader, 20, 20)
    assert len(writer.calls) == 2


async def test_an_interrupted_attempt_counts_as_landed(database_url: str) -> None:
    url = database_url
    store = WeightStore(url)
    await store.open()
    await store.set_weight(7, "hotkey-0", 1.0)
    await store.start_commit(
        block=10, epoch=7, weights_epoch=7, netuid=NETUID, mode=CommitMode.SET,
        trigger=CommitTrigger.AUTO, uid_count=4, digest="d",
    )  # fmt: skip
    await store.close()  # stopped with the attempt pending
    store = WeightStore(url)
    await store.open()
    try:
        reader, writer = FakeReader(), FakeWriter()
        committer, _ = make(store, reader, writer)
        await run_blocks(committer, reader, 11, 14)
        assert writer.calls == []  # it may have landed: not again in epoch 7
        await run_blocks(committer, reader, 20, 20)
        assert len(writer.calls) == 1
    finally:
        await store.close()


async def test_driven_by_new_block_events_and_off_with_auto_commit_false(
    store: WeightStore,
) -> None:
    reader, writer = FakeReader(), FakeWriter()
    await store.set_weight(7, "hotkey-2", 3.0)
    committer, hub = make(store, reader, writer)
    await committer.start()
    try:
        reader.head = ref(10)
        hub.publish(NewBlock(ref(10)))
        await eventually(lambda: bool(writer.calls) and not committer.committing)
        assert committer.status()["state"] == "waiting"
    finally:
        await committer.stop()
    assert len(writer.calls) == 1

    manual_writer = FakeWriter()
    manual, hub = make(store, reader, manual_writer, auto_commit=False)
    await manual.start()
    assert hub.subscribers(NewBlock) == 0 and manual.status()["state"] == "disabled"
    reader.head = ref(21)
    hub.publish(NewBlock(ref(21)))  # in the window: nobody listens
    await asyncio.sleep(0.05)
    assert manual_writer.calls == []
    record = await manual.commit_now()
    assert record.status == "pending" and record.trigger == "manual"
    done = await manual.wait()
    assert done is not None and done.status == "finalized"
    assert len(manual_writer.calls) == 1


async def test_commit_now_refuses_without_weights_or_hotkey(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    reader.head = ref(30)
    committer, _ = make(store, reader, writer, auto_commit=False)
    with pytest.raises(CommitRefused) as refused:
        await committer.commit_now()
    assert refused.value.reason == "no_weights"
    keyless = Committer(
        settings(), reader, writer, store, EventHub(), None, hotkey_missing="set PYLON_WALLET_NAME"
    )
    with pytest.raises(CommitRefused, match="PYLON_WALLET_NAME"):
        await keyless.commit_now()
    assert writer.calls == []


async def test_two_commits_asked_at_once_start_one_attempt(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    reader.head = ref(30)
    committer, _ = make(store, reader, writer, auto_commit=False)
    await store.set_weight(27, "hotkey-0", 1.0)
    # The first attempt stays in flight until both were asked (a write that lands at once
    # would let the second start after it, rightly: that is not what this tests).
    writer.hold = asyncio.Event()
    results = await asyncio.gather(
        committer.commit_now(), committer.commit_now(), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, CommitRefused)]
    assert len(refused) == 1 and refused[0].reason == "in_flight"
    writer.hold.set()
    await committer.wait()
    assert len(writer.calls) == 1 and len(await store.commits()) == 1


async def test_no_attempt_while_rate_limited_or_unregistered(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(store, reader, writer)
    await store.set_weight(7, "hotkey-1", 1.0)
    me = dataclasses.replace(reader.metagraph_neurons[0], last_update=5)
    reader.metagraph_neurons = (me, *reader.metagraph_neurons[1:])  # rate limit 100 blocks
    await run_blocks(committer, reader, 10, 14)
    assert writer.calls == [] and await store.commits() == []
    assert committer.state == "rate_limited"
    reader.params = dataclasses.replace(reader.params, weights_rate_limit=7)
    await run_blocks(committer, reader, 20, 20)  # 21 - 5 >= 7: allowed again
    assert len(writer.calls) == 1

    reader.metagraph_neurons = reader.metagraph_neurons[1:]  # deregistered
    with pytest.raises(CommitRefused) as refused:
        await committer.commit_now()
    assert refused.value.reason == "not_registered" and "hotkey-0" in str(refused.value)


async def test_a_tempo_raise_keeps_the_weights_and_commits_them(store: WeightStore) -> None:
    reader, writer = FakeReader(), FakeWriter()
    committer, _ = make(store, reader, writer, auto_commit=False)
    # Tempo 9: the epoch of block 730 starts at 727; the weights are keyed there.
    await store.set_weight(727, "hotkey-1", 2.0)
    await store.set_weight(727, "hotkey-3", 1.0)
    # Raised to 360: the epoch containing block 732 now starts at 719 (before 727).
    reader.tempo = 360
    reader.head = ref(732)
    assert (await reader.epoch(ref(732))).start == 719
    record = await committer.commit_now()
    assert record.weights_epoch == 727 and record.epoch == 727
    done = await committer.wait()
    assert done is not None and done.status == "finalized"
    assert writer.calls[0][2] == {0: 0.0, 1: 2.0, 2: 0.0, 3: 1.0}
    # The auto path sees the commit of this (longer) epoch: none again before the next one.
    auto, _ = make(store, reader, writer)
    await run_blocks(auto, reader, 733, 800)
    assert len(writer.calls) == 1


async def test_two_committers_on_one_database_commit_each_epoch_once(database_url: str) -> None:
    # Two replicas that both believe they lead (the lease's safety net): the epoch's claim,
    # taken with the attempt, lets one of them write to the chain per epoch.
    stores = [WeightStore(database_url, replica=name) for name in ("replica-a", "replica-b")]
    await stores[0].open()
    await stores[1].open(apply_migrations=False, mark_interrupted=False)
    try:
        reader, writer = FakeReader(), FakeWriter()
        committers = [make(store, reader, writer)[0] for store in stores]
        await stores[0].set_weight(7, "hotkey-0", 1.0)
        for number in range(7, 37):  # epochs 7, 17, 27
            reader.head = ref(number)
            results = await asyncio.gather(
                *(committer.on_block(ref(number)) for committer in committers),
                return_exceptions=True,
            )
            # Refused by the claim: a typed refusal, never a second write.
            assert all(r is None or isinstance(r, EpochClaimed) for r in results), results
            for committer in committers:
                await committer.wait()
        assert len(writer.calls) == 3
        log = list(reversed(await stores[0].commits()))
        assert [(c.epoch, c.status) for c in log] == [
            (7, "finalized"),
            (17, "finalized"),
            (27, "finalized"),
        ]
        assert {c.replica for c in log} <= {"replica-a", "replica-b"}
    finally:
        for store in stores:
            await store.close()
