"""Commit-reveal by hash: commit_weights then reveal_weights, in the epoch the chain allows."""

from __future__ import annotations

import dataclasses
from typing import Any

from pylon_gql.simnet.dispatch import Dispatcher
from pylon_gql.simnet.genesis import first_state
from pylon_gql.simnet.hash_commits import commit_hash, reveal_window
from pylon_gql.simnet.keys import VALIDATOR_HOTKEY
from pylon_gql.simnet.runtime import get_runtime
from pylon_gql.simnet.snapshot import get_snapshot
from pylon_gql.simnet.state import BlockDraft, BlockState, epoch_index
from pylon_gql.simnet.transaction import Transaction

from .conftest import START_MS

UIDS, VALUES, SALT, VERSION = [1, 2, 3], [100, 200, 300], [7, 8, 9], 21706


def _state() -> BlockState:
    runtime = get_runtime()
    return first_state(
        runtime, get_snapshot(runtime), seed=0, timestamp_ms=START_MS, synthetic_neurons=16
    )


def _run(draft: BlockDraft, function: str, nonce: int, **args: Any) -> list[str]:
    tx = Transaction(
        data=b"",
        hash="0x",
        signer=VALIDATOR_HOTKEY,
        nonce=nonce,
        pallet="SubtensorModule",
        function=function,
        args=args,
    )
    records = Dispatcher(get_runtime()).apply(draft, [tx], first_index=1)
    names = []
    for record in records:
        ((_pallet, inner),) = record["event"].items()
        (name,) = inner
        if name == "ExtrinsicFailed":
            error = inner[name]["dispatch_error"]
            index = error["Module"]["error"][0]
            errors = get_runtime().pallet_errors["SubtensorModule"]
            name = next(n for n, i in errors.items() if i == index)
        names.append(name)
    return names


def _draft(state: BlockState, number: int, subnets: Any = None) -> BlockDraft:
    return BlockDraft(number, dict(subnets or state.subnets), dict(state.accounts), 0)


def test_commit_then_reveal_in_the_reveal_epoch_sets_the_weights():
    state = _state()
    subnet = state.subnets[2]
    digest = commit_hash(VALIDATOR_HOTKEY, 2, UIDS, VALUES, SALT, VERSION)
    draft = _draft(state, state.number + 1)
    assert _run(draft, "commit_weights", 0, netuid=2, commit_hash=digest) == [
        "WeightsCommitted",
        "ExtrinsicSuccess",
    ]
    committed = draft.subnets[2]
    ((queued,),) = committed.hash_commits.values()
    first, last = reveal_window(subnet, state.number + 1)
    assert queued == [digest, state.number + 1, first, last]
    # the reveal epoch is the commit's plus commit_reveal_period (1)
    assert epoch_index(subnet, first) == epoch_index(subnet, state.number + 1) + 1
    assert last - first == subnet.hyperparameters["tempo"]

    early = _draft(state, first - 1, draft.subnets)
    args = {"netuid": 2, "uids": UIDS, "values": VALUES, "salt": SALT, "version_key": VERSION}
    assert _run(early, "reveal_weights", 1, **args) == ["RevealTooEarly"]
    wrong = _draft(state, first, draft.subnets)
    assert _run(wrong, "reveal_weights", 1, **{**args, "salt": [1]}) == [
        "InvalidRevealCommitHashNotMatch"
    ]
    late = _draft(state, last + 1, draft.subnets)
    assert _run(late, "reveal_weights", 1, **args) == ["ExpiredWeightCommit"]
    ok = _draft(state, first, draft.subnets)
    assert _run(ok, "reveal_weights", 1, **args) == [
        "WeightsRevealed",
        "WeightsSet",
        "ExtrinsicSuccess",
    ]
    revealed = ok.subnets[2]
    assert revealed.weights[0] == [[1, 21845], [2, 43690], [3, 65535]]
    assert revealed.hash_commits == {}
    again = _draft(state, first + 1, ok.subnets)
    assert _run(again, "reveal_weights", 2, **args) == ["NoWeightsCommitFound"]


def test_hash_commits_need_commit_reveal_on():
    state = _state()
    off = dataclasses.replace(
        state.subnets[2],
        hyperparameters={
            **state.subnets[2].hyperparameters,
            "commit_reveal_weights_enabled": False,
        },
    )
    draft = _draft(state, state.number + 1, {**state.subnets, 2: off})
    digest = commit_hash(VALIDATOR_HOTKEY, 2, UIDS, VALUES, SALT, VERSION)
    assert _run(draft, "commit_weights", 0, netuid=2, commit_hash=digest) == [
        "CommitRevealDisabled"
    ]
