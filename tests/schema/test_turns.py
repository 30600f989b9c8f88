"""Turns at delivering: one result at a time per connection, a few connections at once."""

from __future__ import annotations

import asyncio

from pylon_gql.schema.turns import DeliveryTurns


async def replay(turns: DeliveryTurns, name: str, blocks: int, log: list[str]) -> None:
    for _ in range(blocks):
        async with turns.turn():
            log.append(f"+{name}")
            await asyncio.sleep(0)  # the block is sent: other tasks run meanwhile
            await asyncio.sleep(0)
            log.append(f"-{name}")


def most_at_once(log: list[str], names: set[str] | None = None) -> int:
    holding, most = 0, 0
    for entry in log:
        if names is None or entry[1:] in names:
            holding += 1 if entry[0] == "+" else -1
            most = max(most, holding)
    return most


async def test_a_connection_replays_one_block_at_a_time_whatever_its_subscriptions() -> None:
    connection = DeliveryTurns(asyncio.Semaphore(4))
    log: list[str] = []
    await asyncio.gather(*(replay(connection, f"s{i}", 5, log) for i in range(10)))
    assert len(log) == 2 * 10 * 5  # every block of every subscription was replayed
    assert most_at_once(log) == 1


async def test_the_server_replays_for_a_few_connections_at_once() -> None:
    shared = asyncio.Semaphore(3)
    connections = [DeliveryTurns(shared) for _ in range(8)]
    log: list[str] = []
    await asyncio.gather(
        *(replay(c, f"c{i}s{j}", 4, log) for i, c in enumerate(connections) for j in range(5))
    )
    assert len(log) == 2 * 8 * 5 * 4
    assert most_at_once(log) == 3


async def test_a_connection_with_many_subscriptions_does_not_starve_one_with_one() -> None:
    shared = asyncio.Semaphore(1)
    crowd, single = DeliveryTurns(shared), DeliveryTurns(shared)
    log: list[str] = []
    crowding = [asyncio.create_task(replay(crowd, f"crowd{i}", 10, log)) for i in range(100)]
    await asyncio.sleep(0)  # the crowd asks first
    await replay(single, "single", 3, log)
    # The single subscription's three blocks came while the crowd still had most of its 1,000.
    crowd_turns_before = sum(1 for e in log if e.startswith("+crowd"))
    assert crowd_turns_before < 20, crowd_turns_before
    await asyncio.gather(*crowding)


async def test_a_connection_that_does_not_read_holds_up_only_itself() -> None:
    shared = asyncio.Semaphore(1)
    stalled, other = DeliveryTurns(shared), DeliveryTurns(shared)
    never_read = asyncio.Event()

    async def deliver_to_a_stalled_client() -> None:
        async with stalled.turn():
            stalled.executed()  # what DeliveryTurnsExtension does before the send
            await never_read.wait()  # the send waits for a client that never reads

    stuck = asyncio.create_task(deliver_to_a_stalled_client())
    await asyncio.sleep(0)
    log: list[str] = []
    async with asyncio.timeout(1):
        await replay(other, "other", 3, log)  # the only shared slot is free again
    assert len(log) == 6
    stuck.cancel()


async def test_only_the_task_holding_the_turn_gives_its_slot_back() -> None:
    shared = asyncio.Semaphore(1)
    turns = DeliveryTurns(shared)
    async with turns.turn():
        await asyncio.create_task(_call_executed(turns))
        assert shared.locked()  # still this turn's
        turns.executed()
        assert not shared.locked()
    assert not shared.locked()  # given back once, not twice
    assert shared._value == 1  # type: ignore[attr-defined]


async def _call_executed(turns: DeliveryTurns) -> None:
    turns.executed()
