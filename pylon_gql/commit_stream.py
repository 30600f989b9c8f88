"""One subscriber's stream of commit attempts: the commit log from an id, then live, each status
of an attempt at most once and never backwards.

An attempt moves PENDING -> IN_BLOCK -> FINALIZED or FAILED under one id; the event bus
publishes each move, and the commit log keeps each attempt's current state. Live events are at
most once (a broker outage loses some), so a client that must miss nothing names the first id
it wants (`from_id`): it gets every attempt from that id as the log holds it now, oldest first,
then the live moves. Subscribed to the bus before the log is read, nothing falls between the
two; the overlap (a move both in the log and among the live events) is sent once, and a live
event older than what was sent (an IN_BLOCK queued while the log already said FINALIZED) is
skipped: per attempt, a client sees a rising sequence of statuses, maybe not every one.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator
from typing import Protocol

from .events import Subscription
from .models import CommitAttempt, CommitStatus

#: How far along an attempt each status is; FINALIZED and FAILED both end it.
_RANK = {
    CommitStatus.PENDING: 0,
    CommitStatus.IN_BLOCK: 1,
    CommitStatus.FINALIZED: 2,
    CommitStatus.FAILED: 2,
}
FINAL = 2

#: Attempts read from the log at a time.
PAGE = 100
#: Attempts a stream remembers what it sent of (the newest): attempts are a few per epoch, and
#: only those still moving or in the overlap with the log matter.
REMEMBERED = 1024


class CommitLog(Protocol):
    """What the stream reads of the store (`WeightStore`)."""

    async def commits_from(self, first_id: int, limit: int) -> list[CommitAttempt]: ...


def _version(attempt: CommitAttempt) -> tuple[int, datetime.datetime]:
    updated = attempt.updated_at
    if updated.tzinfo is None:  # the store keeps UTC; a naive time is UTC too
        updated = updated.replace(tzinfo=datetime.UTC)
    return _RANK[attempt.status], updated


class CommitStream:
    def __init__(self, from_id: int | None = None) -> None:
        self.from_id = from_id
        #: Per attempt id, the version (status rank, update time) last sent.
        self._sent: dict[int, tuple[int, datetime.datetime]] = {}

    def fresh(self, attempt: CommitAttempt) -> bool:
        """Whether to send `attempt` (and, if so, remember it as sent)."""
        if self.from_id is not None and attempt.id < self.from_id:
            return False
        version = _version(attempt)
        sent = self._sent.get(attempt.id)
        if sent is not None and version <= sent:
            return False
        self._sent[attempt.id] = version
        if len(self._sent) > REMEMBERED:
            del self._sent[min(self._sent)]
        return True

    @property
    def resume_from(self) -> int | None:
        """The `fromId` that continues this stream losing nothing: its oldest attempt not seen
        final, else the one after the newest sent (None: nothing sent and no `from_id`)."""
        moving = [i for i, (rank, _) in self._sent.items() if rank < FINAL]
        if moving:
            return min(moving)
        if self._sent:
            return max(self._sent) + 1
        return self.from_id

    async def follow(
        self, log: CommitLog | None, live: Subscription[CommitAttempt]
    ) -> AsyncGenerator[CommitAttempt, None]:
        """The log from `from_id` (read from `log`; none without `from_id`), then `live`:
        subscribe `live` before calling this."""
        if self.from_id is not None:
            assert log is not None, "a replay needs the commit log"
            next_id = self.from_id
            while True:
                page = await log.commits_from(next_id, PAGE)
                for attempt in page:
                    if self.fresh(attempt):
                        yield attempt
                if len(page) < PAGE:
                    break
                next_id = page[-1].id + 1
        async for attempt in live:
            if self.fresh(attempt):
                yield attempt
