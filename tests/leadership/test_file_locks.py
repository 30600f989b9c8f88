"""Leases and signer locks beside a SQLite file: `flock`, freed by the OS when the holder dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from pylon_gql.leadership import coordination_for
from pylon_gql.leadership.files import FileCoordination

HOTKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
PATIENCE = 30.0
ROOT = Path(__file__).resolve().parents[2]


def coordination(database: Path) -> FileCoordination:
    made = coordination_for(f"sqlite://{database}")
    assert isinstance(made, FileCoordination)
    return made


async def test_one_replica_holds_the_lease_and_the_others_see_which(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    first = coordination(database).leader_lease(1, HOTKEY, "replica-a")
    second = coordination(database).leader_lease(1, HOTKEY, "replica-b")
    other_subnet = coordination(database).leader_lease(2, HOTKEY, "replica-c")

    assert await first.acquire()
    assert not await second.acquire()
    assert await second.holder() == "replica-a"
    assert await first.held() and not await second.held()
    # Each replica's presence, held while it runs: how a new leader knows whose attempts no
    # one will finish.
    assert await second.running("replica-a") and await first.running("replica-b")
    assert not await first.running("replica-gone")
    # The lease is per (netuid, hotkey): another subnet's committer is another lease.
    assert await other_subnet.acquire()

    await first.release()
    assert await second.holder() is None  # released cleanly: no one leads
    assert not await second.running("replica-a")
    assert await second.acquire()
    assert await first.holder() == "replica-b"
    assert not await first.acquire()
    for lease in (first, second, other_subnet):
        await lease.release()
    # Beside the SQLite file, named after what they guard.
    assert sorted(p.name for p in await asyncio.to_thread(tmp_path.iterdir)) == [
        f"pylon.sqlite3.leader-1-{HOTKEY}.lock",
        f"pylon.sqlite3.leader-2-{HOTKEY}.lock",
    ]


async def test_a_killed_holder_frees_the_lease_at_once(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    holder = subprocess.Popen(  # noqa: ASYNC220 - killed, not awaited
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import asyncio, sys, time
                from pathlib import Path
                from pylon_gql.leadership import coordination_for
                lease = coordination_for("sqlite://{database}").leader_lease(
                    1, "{HOTKEY}", "doomed"
                )
                assert asyncio.run(lease.acquire())
                print("held", flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), PATIENCE)
        assert line.strip() == b"held"
        follower = coordination(database).leader_lease(1, HOTKEY, "survivor")
        assert not await follower.acquire()
        assert await follower.holder() == "doomed"
        assert await follower.running("doomed")

        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=PATIENCE)
        assert await follower.acquire()  # no wait: the OS dropped the dead process's flock
        assert not await follower.running("doomed")
        assert await follower.holder() == "survivor"
        await follower.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


async def test_writes_signed_by_one_key_take_turns_across_replicas(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    replicas = [coordination(database).signers for _ in range(3)]
    inside = 0
    most = 0
    order: list[int] = []

    async def write(n: int) -> None:
        nonlocal inside, most
        async with replicas[n % 3].hold(HOTKEY):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)  # the nonce read and the submission
            order.append(n)
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(12))), PATIENCE)
    assert most == 1 and sorted(order) == list(range(12))

    # Another key is another lock: it does not wait.
    async with replicas[0].hold(HOTKEY):
        async with asyncio.timeout(PATIENCE):
            async with replicas[1].hold("5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"):
                pass


async def test_a_write_that_gives_up_waiting_leaves_the_lock_free(tmp_path: Path) -> None:
    database = tmp_path / "pylon.sqlite3"
    first, second = coordination(database).signers, coordination(database).signers
    async with first.hold(HOTKEY):
        waiting = asyncio.create_task(second.hold(HOTKEY).__aenter__())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        waiting.cancel()  # the write's timeout
        await asyncio.gather(waiting, return_exceptions=True)
    async with asyncio.timeout(PATIENCE):  # nobody holds it: no wait
        async with second.hold(HOTKEY):
            pass


def test_a_database_in_memory_needs_no_lock() -> None:
    made = coordination_for("sqlite://:memory:")
    assert made.kind == "process" and made.signers is None
