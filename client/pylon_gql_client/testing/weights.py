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
    """The weights written (one epoch's: the fake's epoch does not move), per mechanism of the
    subnet, and the commits."""

    def __init__(self, chain: FakeChain) -> None:
        self.chain = chain
        #: Mechanism -> hotkey -> weight (mechanism 0: the subnet's own weights).
        self.by_mechanism: dict[int, dict[str, Weight]] = {0: {}}
        #: The subnet's mechanisms (`metagraph.mechanisms.count` on the server).
        self.mechanism_count = 1
        self.commits: list[WeightCommit] = []
        chain.on_block(self._land)

    @property
    def stored(self) -> dict[str, Weight]:
        """Mechanism 0's weights."""
        return self.by_mechanism[0]

    def _vector(self, mechanism: int) -> dict[str, Weight]:
        """The mechanism's weights; BAD_USER_INPUT for one the subnet does not have, as the
        server answers."""
        check_ints(mechanism=mechanism)
        if mechanism < 0:
            raise bad_input(f"`mechanism` must be 0 or more; got {mechanism}")
        count = self.mechanism_count
        if mechanism >= count:
            raise bad_input(
                f"subnet {self.chain.epoch.netuid} has {count} mechanism(s) at block "
                f"{self.chain.head.number} (mechanisms 0 to {count - 1}): there is no "
                f"mechanism {mechanism}"
            )
        return self.by_mechanism.setdefault(mechanism, {})

    # --- writing

    def set_weights(
        self, entries: Sequence[tuple[str, float]], mode: SetWeightsMode, mechanism: int = 0
    ) -> SetWeightsSuccess:
        for index, (_, weight) in enumerate(entries):
            check_float("weights", weight, f"[{index}].weight")
        message, refused = rules.batch_problems(list(entries))
        if message is not None:
            raise validation_failed(message, refused)
        first: dict[str, int] = {}
        for index, (hotkey, _) in enumerate(entries):
            first.setdefault(hotkey, index)
        vector = self._vector(mechanism)
        self._check_registered(list(first), first)
        if mode == SetWeightsMode.REPLACE:  # the vector becomes the batch
            vector.clear()
        for hotkey, weight in entries:
            self._store(hotkey, weight, mechanism)
        return SetWeightsSuccess(
            block=self.chain.head_ref, epoch=self.chain.epoch, mode=mode, count=len(entries)
        )

    def clear(self, mechanism: int = 0) -> ClearWeightsSuccess:
        vector = self._vector(mechanism)
        count = len(vector)
        vector.clear()
        return ClearWeightsSuccess(block=self.chain.head_ref, epoch=self.chain.epoch, count=count)

    def delete(self, hotkey: str, mechanism: int = 0) -> DeleteWeightSuccess:
        """One hotkey's weight, registered or not (only the address is judged)."""
        reason = rules.address_problem(hotkey)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        vector = self._vector(mechanism)
        return DeleteWeightSuccess(
            block=self.chain.head_ref,
            epoch=self.chain.epoch,
            hotkey=hotkey,
            deleted=vector.pop(hotkey, None),
        )

    def set_weight(self, hotkey: str, weight: float, mechanism: int = 0) -> WeightSuccess:
        check_float("weight", weight)
        reason = rules.address_problem(hotkey) or rules.weight_problem(weight)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        self._vector(mechanism)
        self._check_registered([hotkey], {})
        stored = self._store(hotkey, weight, mechanism)
        return WeightSuccess(block=self.chain.head_ref, epoch=self.chain.epoch, weight=stored)

    def update_weight(self, hotkey: str, delta: float, mechanism: int = 0) -> WeightSuccess:
        check_float("delta", delta)
        reason = rules.address_problem(hotkey)
        if reason is not None:
            raise validation_failed(f"{hotkey!r}: {reason}", [(None, hotkey, reason)])
        vector = self._vector(mechanism)
        self._check_registered([hotkey], {})
        current = vector.get(hotkey)
        weight, reason = rules.added_weight(
            hotkey, None if current is None else current.weight, float(delta)
        )
        if weight is None:
            raise validation_failed(reason, [(None, hotkey, reason)])
        stored = self._store(hotkey, weight, mechanism)
        return WeightSuccess(block=self.chain.head_ref, epoch=self.chain.epoch, weight=stored)

    def _check_registered(self, hotkeys: Sequence[str], index: Mapping[str, int]) -> None:
        """The server's last check, after every entry passed its own: registration at the
        head (the server's default; PYLON_ALLOW_UNREGISTERED_HOTKEYS is not modelled)."""
        uids = self.chain.uids
        missing = [hotkey for hotkey in hotkeys if hotkey not in uids]
        if missing:
            raise _unregistered(self.chain.head.number, missing, index)

    def _store(self, hotkey: str, weight: float, mechanism: int = 0) -> Weight:
        # A GraphQL Float arrives as a float: a weight of 1 is stored, and digested, as 1.0.
        stored = Weight(
            hotkey=hotkey,
            weight=float(weight),
            updated_at=datetime.now(UTC),
            mechanism=mechanism,
        )
        self.by_mechanism.setdefault(mechanism, {})[hotkey] = stored
        return stored

    # --- reading

    def weights(self, ref: BlockRef | None, epoch: int | None, mechanism: int = 0) -> EpochWeights:
        """The fake's one epoch's weights (of `mechanism`), asked for by a block in it or by
        its start."""
        check_ints(mechanism=mechanism)
        if mechanism < 0:
            raise bad_input(f"`mechanism` must be 0 or more; got {mechanism}")
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
        vector = self.by_mechanism.get(mechanism, {})
        weights = sorted(vector.values(), key=lambda w: w.hotkey)
        block = ref or self.chain.head_ref
        return EpochWeights(
            block=block, epoch=self.chain.epoch, weights=weights, mechanism=mechanism
        )

    def latest_commits(self, last: int) -> list[WeightCommit]:
        check_ints(last=last)
        problem = rules.last_commits_problem(last)
        if problem is not None:
            raise bad_input(problem)
        return list(reversed(self.commits))[:last]

    # --- committing

    def commit(self, hotkey: str, mechanism: int = 0) -> WeightCommit:
        """Start an attempt, PENDING, refused for the server's reasons in the server's order;
        it is FINALIZED in the next block the fake produces (a write or `produce_blocks`)."""
        chain = self.chain
        head, epoch, hyperparameters = chain.head.number, chain.epoch, chain.hyperparameters
        if mechanism != 0:
            self._vector(mechanism)
        if any(c.status == WeightCommitStatus.PENDING for c in self.commits):
            raise commit_refused("a commit is in flight: wait for its outcome", "in_flight")
        vector = self.by_mechanism.get(mechanism, {})
        if not vector:
            of = "" if mechanism == 0 else f" of mechanism {mechanism}"
            raise commit_refused(
                f"no weights{of} to commit: none was written in epoch {epoch.start} or before",
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
        weights = rules.uid_weights(chain.uids, {h: w.weight for h, w in vector.items()})
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
            mechanism=mechanism,
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
