"""The committer among replicas: what a replica does when it takes the lead (the attempts no
running replica will finish are marked interrupted) and what a follower answers `commitWeights`
(the replica that leads)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from .store import WeightStore

logger = logging.getLogger(__name__)


class LeaderView(Protocol):
    """Who leads the committer's lease (`pylon_gql.leadership.Leadership`)."""

    leader: bool
    leader_replica: str | None
    retry_interval: float


async def mark_abandoned(
    store: WeightStore, netuid: int, running: Callable[[str], Awaitable[bool]]
) -> None:
    """Mark interrupted, outcome unknown, the unfinished attempts nobody will finish: this
    replica's own from before, those of replicas that no longer run (stopped, or died), and
    those recorded before replicas were. A replica that still runs (a leader that lost the lease
    with an attempt in flight) finishes its own. `running(replica)`: `Lease.running`."""
    me = store.replica
    owners = {attempt.replica for attempt in await store.unfinished_commits(netuid)}
    for replica in sorted(owners, key=str):
        if replica not in (None, me) and await running(replica):
            continue
        count = await store.mark_interrupted(replica=replica, netuid=netuid)
        if count:
            whose = "this replica" if replica == me else f"replica {replica or '(unnamed)'}"
            logger.warning(
                "%d weight commit attempt(s) of %s were interrupted (it stopped before their "
                "outcome was known); they count as possibly landed",
                count,
                whose,
            )


def follower_refusal(replica: str, leadership: LeaderView, hotkey: str, netuid: int) -> str:
    """Why a follower starts no commit, and where to go instead."""
    leader = leadership.leader_replica
    where = (
        f"replica {leader} leads it: send commitWeights there"
        if leader
        else "no replica is known to lead it now"
    )
    return (
        f"replica {replica} does not commit the weights of hotkey {hotkey} on subnet {netuid}: "
        f"{where}, or retry (a replica takes the lead within about "
        f"{leadership.retry_interval:g} s of the leader stopping)"
    )
