"""What a resumable weight-commit stream has yielded: each attempt's furthest status, so that
the replay after a reconnection (`weightCommit(fromId:)`) yields nothing twice, and the id to
resume from."""

from __future__ import annotations

from typing import Any

from .models import WeightCommit

#: How far along an attempt each status is (FINALIZED and FAILED both end it).
_COMMIT_RANK = {"PENDING": 0, "IN_BLOCK": 1, "FINALIZED": 2, "FAILED": 2}


class CommitsSeen:
    """What a weight commit stream yielded, per attempt: to skip what a reconnection replays,
    and to know where to resume (as the server's `weightCommit(fromId:)` does)."""

    #: Attempts remembered (the newest): a few are made per epoch.
    REMEMBERED = 1024

    def __init__(self, from_id: int | None) -> None:
        self.from_id = from_id
        self._seen: dict[int, tuple[int, Any]] = {}

    def fresh(self, commit: WeightCommit) -> bool:
        if self.from_id is not None and commit.id < self.from_id:
            return False
        version = (_COMMIT_RANK[commit.status], commit.updated_at)
        seen = self._seen.get(commit.id)
        if seen is not None and version <= seen:
            return False
        self._seen[commit.id] = version
        if len(self._seen) > self.REMEMBERED:
            del self._seen[min(self._seen)]
        return True

    @property
    def resume_from(self) -> int | None:
        """The oldest attempt not seen end, else the one after the newest seen."""
        moving = [i for i, (rank, _) in self._seen.items() if rank < 2]
        if moving:
            return min(moving)
        if self._seen:
            return max(self._seen) + 1
        return self.from_id
