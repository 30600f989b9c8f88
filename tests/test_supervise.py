"""Supervisor: a failing loop is logged, backed off and run again; /health sees its restarts."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pylon_gql.supervise import Supervisor, backoff


class Flaky(Exception):
    pass


def test_the_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n, 0.5, 5.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff(10_000, 0.5, 5.0) == 5.0  # no overflow however long it keeps failing


async def test_a_failing_loop_restarts_until_it_returns(caplog: pytest.LogCaptureFixture) -> None:
    runs = 0
    seen: list[str] = []

    async def loop() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise Flaky(f"failure {runs}")

    supervisor = Supervisor(
        "test-loop",
        loop,
        doing="testing",
        min_backoff=0.01,
        max_backoff=0.02,
        expected=(Flaky,),
        on_failure=lambda exc: seen.append(str(exc)),
    )
    with caplog.at_level(logging.WARNING, logger="pylon_gql.supervise"):
        supervisor.start()
        async with asyncio.timeout(5):
            while supervisor.running:  # noqa: ASYNC110 - the supervisor has no event for this
                await asyncio.sleep(0.005)
    assert runs == 3
    assert supervisor.restarts == 2
    assert supervisor.last_error == "Flaky: failure 2"
    assert seen == ["failure 1", "failure 2"]
    assert supervisor.status("running") == {
        "state": "running",
        "restarts": 2,
        "lastError": "Flaky: failure 2",
    }
    # An expected failure is one line, without a traceback.
    lines = [r for r in caplog.records if "testing failed" in r.getMessage()]
    assert len(lines) == 2 and all(r.exc_info is None for r in lines)


async def test_an_unexpected_failure_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed = asyncio.Event()

    async def loop() -> None:
        if not failed.is_set():
            failed.set()
            raise KeyError("bug")
        await asyncio.sleep(3600)

    supervisor = Supervisor("bug", loop, doing="buggy work", min_backoff=0.01, max_backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="pylon_gql.supervise"):
        supervisor.start()
        await asyncio.wait_for(failed.wait(), 5)
        await asyncio.sleep(0.05)
    assert supervisor.running  # restarted, now waiting
    await supervisor.stop()
    assert not supervisor.running
    [record] = [r for r in caplog.records if "buggy work failed" in r.getMessage()]
    assert record.exc_info is not None


async def test_recovering_resets_the_backoff() -> None:
    failures = 0
    delays: list[float] = []

    async def loop() -> None:
        nonlocal failures
        failures += 1
        if failures == 3:
            supervisor.recovered()  # progress: the next failure backs off from the start
        if failures < 5:
            raise Flaky("again")

    supervisor = Supervisor(
        "reset", loop, doing="resetting", min_backoff=0.01, max_backoff=1.0, expected=(Flaky,)
    )

    def record_backoff(failed: int, least: float, most: float) -> float:
        # The delays the supervisor chose; it then waits none of them.
        delays.append(backoff(failed, least, most))
        return 0.0

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pylon_gql.supervise.backoff", record_backoff)
        supervisor.start()
        assert supervisor._task is not None
        async with asyncio.timeout(5):
            await supervisor._task  # the loop ends once it stops failing
    assert delays == [0.01, 0.02, 0.01, 0.02]
