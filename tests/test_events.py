"""EventHub: every subscriber sees every event in order; a stalled one is cut off, not others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from pylon_gql.chain.epochs import epoch_at
from pylon_gql.events import EventHub, NewBlock, NewEpoch, SubscriberOverflow, Subscription
from tests.chain.fakes import ref


async def test_every_subscriber_gets_every_event_in_order() -> None:
    hub = EventHub()
    first, second = hub.subscribe(), hub.subscribe()

    for number in range(1, 4):
        hub.publish(NewBlock(ref(number)))
    first.close()
    second.close()

    assert [e.ref.number async for e in first] == [1, 2, 3]
    assert [e.ref.number async for e in second] == [1, 2, 3]
    assert hub.subscriber_count == 0


async def test_a_subscriber_waits_for_the_next_event() -> None:
    hub = EventHub()
    async with hub.subscribe() as events:
        waiting = asyncio.create_task(anext(events))
        await asyncio.sleep(0)
        hub.publish(NewBlock(ref(7)))
        assert await waiting == NewBlock(ref(7))
    assert hub.subscriber_count == 0


async def test_a_stalled_subscriber_is_told_it_missed_events() -> None:
    hub = EventHub(queue_size=2)
    stalled, healthy = hub.subscribe(), hub.subscribe()

    hub.publish(NewBlock(ref(1)))
    hub.publish(NewBlock(ref(2)))
    assert [(await anext(healthy)).ref.number for _ in range(2)] == [1, 2]
    hub.publish(NewBlock(ref(3)))  # stalled's queue is full

    assert [(await anext(stalled)).ref.number for _ in range(2)] == [1, 2]
    with pytest.raises(SubscriberOverflow):
        await anext(stalled)
    assert (await anext(healthy)).ref.number == 3
    assert hub.subscriber_count == 1


async def test_a_subscription_closed_while_full_ends_after_its_events() -> None:
    hub = EventHub(queue_size=2)
    events = hub.subscribe()
    hub.publish(NewBlock(ref(1)))
    hub.publish(NewBlock(ref(2)))

    events.close()

    assert [e.ref.number async for e in events] == [1, 2]


async def test_fan_out_to_1000_subscribers_while_one_stalls() -> None:
    hub = EventHub(queue_size=16)
    stalled = hub.subscribe()
    received: list[list[int]] = [[] for _ in range(1000)]

    async def read(index: int, events: Subscription[NewBlock]) -> None:
        async for event in events:
            received[index].append(event.ref.number)

    readers = [asyncio.create_task(read(i, hub.subscribe())) for i in range(1000)]
    for number in range(1, 101):  # many more than a queue holds
        hub.publish(NewBlock(ref(number)))
        await asyncio.sleep(0)  # the readers run between blocks; the stalled one never does
    assert stalled.overflowed
    assert hub.subscribers(NewBlock) == 1000
    for subscription in list(hub._by_kind[NewBlock]):
        subscription.close()
    await asyncio.gather(*readers)
    assert all(numbers == list(range(1, 101)) for numbers in received)
    assert [e.ref.number async for e in _until_overflow(stalled)] == list(range(1, 17))


async def _until_overflow(events: Subscription[NewBlock]) -> AsyncIterator[NewBlock]:
    with contextlib.suppress(SubscriberOverflow):
        async for event in events:
            yield event


async def test_a_subscriber_gets_only_the_kinds_it_asked_for() -> None:
    hub = EventHub()
    epochs = hub.subscribe(NewEpoch)
    everything = hub.subscribe(NewBlock, NewEpoch)
    blocks = hub.subscribe()  # NewBlock by default
    hub.publish(NewBlock(ref(1)))
    hub.publish(NewEpoch(ref(2), epoch_at(2, 1, 9, commit_window_start_offset=0,
                                          commit_window_end_buffer=0)))  # fmt: skip
    for subscription in (epochs, everything, blocks):
        subscription.close()
    assert [type(e).__name__ async for e in epochs] == ["NewEpoch"]
    assert [type(e).__name__ async for e in everything] == ["NewBlock", "NewEpoch"]
    assert [type(e).__name__ async for e in blocks] == ["NewBlock"]
    assert (hub.subscriber_count, hub.subscribers(NewEpoch)) == (0, 0)


async def test_a_subscription_may_have_its_own_queue_size() -> None:
    hub = EventHub(queue_size=100)
    small = hub.subscribe(NewBlock, maxsize=1)
    hub.publish(NewBlock(ref(1)))
    hub.publish(NewBlock(ref(2)))
    assert small.overflowed and hub.subscribers(NewBlock) == 0
