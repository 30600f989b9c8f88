"""The validator's weights in the fake, and its attempts to commit them, under the server's
rules (`pylon_gql_client.rules`, checked against the real server by the contract suite)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from .. import rules
from ..errors import ValidationFailed
from ..models import (
    Block,
    BlockRef,
    ClearWeightsSuccess,
    DeleteWeightSuccess,
    EpochWeights,
    SetWeightsMode,
    SetWeightsSuccess,
    Weight,
    WeightCommit,
    WeightCommitMode,
    WeightCommitStatus,
    WeightSuccess,
)
from .chain import FakeChain
from .refusals import bad_input, check_float, check_ints, commit_refused, validation_failed


class FakeWeights:
    """The weights written (one epoch's: the fake's epoch does not move) and the commits."""

    def __init__(self, chain: FakeChain) -> None:
        self.chain = chain
        self.stored: dict[str, Weight] = {}
        self.commits: list[WeightCommit] = []
        chain.on_block(self._land)

    # --- writing

    def set_weights(
        self, entries: Sequence[tuple[str, float]], mode: SetWeightsMode
    ) -> SetWeightsSuccess:
        for index, (_, weight) in enumerate(entries):
            check_float("weights", weight, f"[{index}].weight")
        message, refused = rules.batch_problems(list(entries))
        if message is not None:
            raise validation_failed(message, refused)
        first: dict[str, int] = {}
        for index, (hotkey, _) in enumerate(entries):
            first.setdefault(hotkey, index)
        self._check_registered(list(first), first)
        if mode == SetWeightsMode.REPLACE:  # the vector becomes the batch
            self.stored.clear()
        for hotkey, weight in entries:
            self._store(hotkey, weight)
        return SetWeightsSuccess(
            block=self.chain.head_ref, epoch=self.chain.epoch, mode=mode, count=len(entries)
        )

    def clear(self) -> ClearWeightsSuccess:
        count, self.stored = len(self.stored), {}
        return ClearWeightsSuccess(block=self.chain.head_ref, epoch=self.chain.epoch, count=count)

    def delete(self, hotkey: str) -> DeleteWeightSuccess:
        """One hotkey's weight, registered or not (only the address is judged)."""
        reason = rules.address_problem(hotkey)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        return DeleteWeightSuccess(
            block=self.chain.head_ref,
            epoch=self.chain.epoch,
            hotkey=hotkey,
            deleted=self.stored.pop(hotkey, None),
        )

    def set_weight(self, hotkey: str, weight: float) -> WeightSuccess:
        check_float("weight", weight)
        reason = rules.address_problem(hotkey) or rules.weight_problem(weight)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        self._check_registered([hotkey], {})
        return WeightSuccess(
            block=self.chain.head_ref, epoch=self.chain.epoch, weight=self._store(hotkey, weight)
        )

    def update_weight(self, hotkey: str, delta: float) -> WeightSuccess:
        check_float("delta", delta)
        reason = rules.address_problem(hotkey)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        self._check_registered([hotkey], {})
        current = self.stored.get(hotkey)
        weight, reason = rules.added_weight(
            hotkey, None if current is None else current.weight, float(delta)
        )
        if weight is None:
            raise validation_failed(reason, [(None, hotkey, reason)])
        return WeightSuccess(
            block=self.chain.head_ref, epoch=self.chain.epoch, weight=self._store(hotkey, weight)
        )

    def _check_registered(self, hotkeys: Sequence[str], index: Mapping[str, int]) -> None:
        """The server's last check, after every entry passed its own: registration at the
        head (the server's default; PYLON_ALLOW_UNREGISTERED_HOTKEYS is not modelled)."""
        uids = self.chain.uids
        missing = [hotkey for hotkey in hotkeys if hotkey not in uids]
        if missing:
            raise _unregistered(self.chain.head.number, missing, index)

    def _store(self, hotkey: str, weight: float) -> Weight:
        # A GraphQL Float arrives as a float: a weight of 1 is stored, and digested, as 1.0.
        stored = Weight(hotkey=hotkey, weight=float(weight), updated_at=datetime.now(UTC))
        self.stored[hotkey] = stored
        return stored

    # --- reading

    def weights(self, ref: BlockRef | None, epoch: int | None) -> EpochWeights:
        """The fake's one epoch's weights, asked for by a block in it or by its start."""
        if epoch is not None:
            start = self.chain.epoch.start
            if epoch < 0:
                raise bad_input(f"`epoch` is a block number, >= 0; got {epoch}")
            if epoch != start:
                self.chain.resolve(epoch)  # past the head: BLOCK_IN_FUTURE, as the server's
                raise bad_input(
                    f"no epoch starts at block {epoch}: the fake's one epoch starts at block "
                    f"{start} (`epoch` takes an epoch's first block, `Epoch.start`)"
                )
        weights = sorted(self.stored.values(), key=lambda w: w.hotkey)
        block = ref or self.chain.head_ref
        return EpochWeights(block=block, epoch=self.chain.epoch, weights=weights)

    def latest_commits(self, last: int) -> list[WeightCommit]:
        check_ints(last=last)
        problem = rules.last_commits_problem(last)
        if problem is not None:
            raise bad_input(problem)
        return list(reversed(self.commits))[:last]

    # --- committing

    def commit(self, hotkey: str) -> WeightCommit:
        """Start an attempt, PENDING, refused for the server's reasons in the server's order;
        it is FINALIZED in the next block the fake produces (a write or `produce_blocks`)."""
        chain = self.chain
        head, epoch, hyperparameters = chain.head.number, chain.epoch, chain.hyperparameters
        if any(c.status == WeightCommitStatus.PENDING for c in self.commits):
            raise commit_refused("a commit is in flight: wait for its outcome", "in_flight")
        if not self.stored:
            raise commit_refused(
                f"no weights to commit: none was written in epoch {epoch.start} or before",
                "no_weights",
            )
        me = next((n for n in chain.metagraph.neurons if n.hotkey == hotkey), None)
        refusal = rules.commit_refusal(
            registered=me is not None,
            last_update=0 if me is None else me.last_update,
            weights_rate_limit=hyperparameters.weights_rate_limit,
            head=head,
        )
        if refusal == "not_registered":
            raise commit_refused(
                f"the validator hotkey {hotkey} is not registered in subnet {epoch.netuid} at "
                f"block {head}",
                refusal,
            )
        if refusal is not None:
            assert me is not None
            raise commit_refused(
                f"rate limited: the chain takes weights from this hotkey again at block "
                f"{me.last_update + hyperparameters.weights_rate_limit} (weights_rate_limit "
                f"{hyperparameters.weights_rate_limit})",
                refusal,
            )
        weights = rules.uid_weights(chain.uids, {h: w.weight for h, w in self.stored.items()})
        now = datetime.now(UTC)
        commit = WeightCommit(
            id=len(self.commits) + 1,
            block=chain.head_ref,
            epoch=epoch,
            netuid=epoch.netuid,
            mode=WeightCommitMode.COMMIT_REVEAL
            if hyperparameters.commit_reveal_weights_enabled
            else WeightCommitMode.SET,
            uid_count=len(weights),
            digest=rules.weights_digest(weights),
            reveal_round=None,
            status=WeightCommitStatus.PENDING,
            error=None,
            created_at=now,
            updated_at=now,
        )
        self.commits.append(commit)
        return commit

    def _land(self, block: Block) -> None:
        """A new block finalizes the attempt in flight (the fake's chain refuses nothing; it
        knows no drand round, so `reveal_round` stays None)."""
        for index, commit in enumerate(self.commits):
            if commit.status == WeightCommitStatus.PENDING:
                self.commits[index] = commit.model_copy(
                    update={
                        "block": BlockRef(number=block.number, hash=block.hash),
                        "status": WeightCommitStatus.FINALIZED,
                        "updated_at": datetime.now(UTC),
                    }
                )


def _unregistered(head: int, hotkeys: Sequence[str], index: Mapping[str, int]) -> ValidationFailed:
    return validation_failed(
        f"{len(hotkeys)} hotkey(s) are not registered in the subnet at block {head} "
        "(PYLON_ALLOW_UNREGISTERED_HOTKEYS=true accepts them): "
        + ", ".join(hotkeys[:10])
        + (" ..." if len(hotkeys) > 10 else ""),
        [(index.get(hotkey), hotkey, "not registered in the subnet") for hotkey in hotkeys],
    )
