"""EventHub: every subscriber sees every event in order; a stalled one is cut off, not others."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.events import EventHub, NewBlock, SubscriberOverflow

from .fakes import ref


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
