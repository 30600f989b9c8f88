"""SingleFlight: one call per key for concurrent askers; errors shared, never kept."""

from __future__ import annotations

import asyncio

import pytest

from pylon_gql.singleflight import SingleFlight


async def test_concurrent_askers_share_one_call_and_a_later_one_calls_again() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    askers = [asyncio.ensure_future(flights.run("k", call)) for _ in range(50)]
    await asyncio.sleep(0)
    assert "k" in flights and len(flights) == 1
    release.set()
    assert await asyncio.gather(*askers) == [1] * 50
    assert "k" not in flights
    assert await flights.run("k", call) == 2  # nothing is remembered after the flight


async def test_an_error_reaches_every_asker_of_its_flight() -> None:
    flights: SingleFlight[str, int] = SingleFlight()

    async def fail() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("node dropped")

    outcomes = await asyncio.gather(
        *(flights.run("k", fail) for _ in range(5)), return_exceptions=True
    )
    assert [str(o) for o in outcomes] == ["node dropped"] * 5
    assert len(flights) == 0


async def test_an_asker_that_gives_up_does_not_cancel_the_others() -> None:
    flights: SingleFlight[str, str] = SingleFlight()
    release = asyncio.Event()

    async def call() -> str:
        await release.wait()
        return "answer"

    impatient = asyncio.ensure_future(flights.run("k", call))
    patient = asyncio.ensure_future(flights.run("k", call))
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    release.set()
    assert await patient == "answer"
