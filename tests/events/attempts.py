"""Commit attempts as the committer publishes them, for the event tests."""

from __future__ import annotations

import datetime

from pylon_gql.models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def attempt(
    commit_id: int, status: CommitStatus = CommitStatus.PENDING, *, step: int = 0
) -> CommitAttempt:
    """Attempt `commit_id` at `status`, updated `step` seconds after it started."""
    created = T0 + datetime.timedelta(minutes=commit_id)
    return CommitAttempt(
        id=commit_id,
        block=100 + commit_id,
        epoch=90,
        weights_epoch=90,
        netuid=2,
        mode=CommitMode.COMMIT_REVEAL,
        trigger=CommitTrigger.MANUAL,
        uid_count=256,
        digest="ab" * 32,
        reveal_round=None if status is CommitStatus.PENDING else 12345,
        status=status,
        error="busy" if status is CommitStatus.FAILED else None,
        outcome_unknown=False,
        created_at=created,
        updated_at=created + datetime.timedelta(seconds=step, microseconds=123456),
        block_hash="0x" + "cd" * 32,
    )


def moves(commit_id: int) -> list[CommitAttempt]:
    """PENDING, IN_BLOCK, FINALIZED of one attempt, as the committer publishes them."""
    return [
        attempt(commit_id, CommitStatus.PENDING, step=0),
        attempt(commit_id, CommitStatus.IN_BLOCK, step=12),
        attempt(commit_id, CommitStatus.FINALIZED, step=24),
    ]
