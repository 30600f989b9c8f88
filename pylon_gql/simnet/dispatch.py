"""Checked transactions run in a block as the runtime would run them.

`Dispatcher.apply` bumps each signer's nonce, calls the pallet function (with the chain's
checks) and records the block's events: the pallet's own event and `System.ExtrinsicSuccess`,
or `System.ExtrinsicFailed` with the module error from the metadata. A failed call changes
nothing but the nonce. No fees are charged. The world calls `apply` through its
`ApplyTransactions` hook; this module never sees the world.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import balances, hash_commits
from .hashing import blake2_256
from .hyperparameters import sudo_changes, with_changes
from .keys import SUDO_KEY, VALIDATOR_HOTKEY
from .runtime import Runtime
from .state import BlockDraft, Neuron, Subnet, epoch_index, storage_index
from .transaction import Transaction

logger = logging.getLogger("pylon_gql.simnet")

# what the chain's storage `CommitRevealVersion` holds (turbobt commits with version 4)
COMMIT_REVEAL_VERSION = 4
# subtensor's MAX_UNREVEALED_COMMITS per hotkey and subnet
MAX_UNREVEALED_COMMITS = 10

# the weight a node reports for a dispatched call (the simnet does not meter calls)
_DISPATCH_INFO = {
    "weight": {"ref_time": 0, "proof_size": 0},
    "class": "Normal",
    "pays_fee": "Yes",
}


@dataclasses.dataclass
class Outcome:
    """What one dispatched call did: its own events, and the error when it failed."""

    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    error: Any = None


class DispatchFailure(Exception):
    """Raised inside a call: the DispatchError value for `System.ExtrinsicFailed`."""

    def __init__(self, error: Any, name: str) -> None:
        super().__init__(name)
        self.error = error
        self.name = name


class Dispatcher:
    """Runs checked extrinsics on a block being built, with the chain's checks."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._calls: dict[tuple[str, str], Callable[[BlockDraft, Transaction], Outcome]] = {
            ("SubtensorModule", "set_weights"): self._set_weights,
            ("SubtensorModule", "set_mechanism_weights"): self._set_weights,
            ("SubtensorModule", "commit_timelocked_weights"): self._commit_weights,
            ("SubtensorModule", "commit_timelocked_mechanism_weights"): self._commit_weights,
            ("SubtensorModule", "burned_register"): self._burned_register,
            ("SubtensorModule", "serve_axon"): self._serve_axon,
            ("SubtensorModule", "commit_weights"): self._commit_hash,
            ("SubtensorModule", "reveal_weights"): self._reveal_weights,
            ("SubtensorModule", "commit_mechanism_weights"): self._commit_hash,
            ("SubtensorModule", "reveal_mechanism_weights"): self._reveal_weights,
            ("Commitments", "set_commitment"): self._set_commitment,
            ("Balances", "transfer_keep_alive"): self._transfer,
            ("Balances", "transfer_allow_death"): self._transfer,
            ("Sudo", "sudo"): self._sudo,
        }

    def apply(
        self, block: BlockDraft, transactions: Sequence[Transaction], first_index: int
    ) -> list[dict[str, Any]]:
        """Apply `transactions` in order (extrinsic indexes from `first_index`); return the
        event records. A failed call changes nothing but the signer's nonce."""
        records: list[dict[str, Any]] = []
        for index, transaction in enumerate(transactions, start=first_index):
            account = block.accounts.get(transaction.signer) or balances.new_account()
            block.accounts[transaction.signer] = {**account, "nonce": account["nonce"] + 1}
            outcome = self._dispatch(block, transaction)
            phase = {"ApplyExtrinsic": index}
            for event in outcome.events:
                records.append({"phase": phase, "event": event, "topics": []})
            if outcome.error is None:
                system = {"ExtrinsicSuccess": {"dispatch_info": _DISPATCH_INFO}}
            else:
                system = {
                    "ExtrinsicFailed": {
                        "dispatch_error": outcome.error,
                        "dispatch_info": _DISPATCH_INFO,
                    }
                }
            records.append({"phase": phase, "event": {"System": system}, "topics": []})
        return records

    def _dispatch(self, block: BlockDraft, transaction: Transaction, root: bool = False) -> Outcome:
        key = (transaction.pallet, transaction.function)
        handler = self._calls.get(key)
        if handler is None and transaction.pallet == "AdminUtils":
            handler = self._root_admin if root else self._sudo_set
        try:
            if root and transaction.pallet != "AdminUtils":
                raise DispatchFailure("BadOrigin", "BadOrigin")  # only signed origins there
            if handler is None:
                logger.warning(
                    "simnet: %s.%s is not supported by the simulated node (ExtrinsicFailed, "
                    "DispatchError::Other)",
                    *key,
                )
                raise DispatchFailure("Other", "not supported by the simulated node")
            outcome = handler(block, transaction)
        except DispatchFailure as failure:
            logger.info("simnet: block #%d %s.%s failed: %s", block.number, *key, failure.name)
            return Outcome(error=failure.error)
        logger.info("simnet: block #%d %s.%s done", block.number, *key)
        return outcome

    def _error(self, pallet: str, name: str) -> DispatchFailure:
        index = self.runtime.pallet_index[pallet]
        error = self.runtime.pallet_errors[pallet][name]
        return DispatchFailure({"Module": {"index": index, "error": bytes((error, 0, 0, 0))}}, name)

    def _subnet(self, block: BlockDraft, netuid: int, pallet: str = "SubtensorModule") -> Subnet:
        subnet = block.subnets.get(netuid)
        if subnet is None:
            raise self._error(
                pallet, "SubnetDoesNotExist" if pallet == "AdminUtils" else "SubnetNotExists"
            )
        return subnet

    def _replace_neuron(self, subnet: Subnet, uid: int, **changes: Any) -> tuple[Neuron, ...]:
        neurons = list(subnet.neurons)
        neurons[uid] = neurons[uid].replace(self.runtime, **changes)
        return tuple(neurons)

    # SubtensorModule ---------------------------------------------------------------------------

    def _weights_subnet(self, block: BlockDraft, args: Mapping[str, Any]) -> Subnet:
        subnet = self._subnet(block, args["netuid"])
        if args.get("mecid", 0) >= subnet.mechanism_count:
            raise self._error("SubtensorModule", "MechanismDoesNotExist")
        return subnet

    def _registered_uid(self, subnet: Subnet, hotkey: bytes, error: str) -> int:
        uid = subnet.uid_of(hotkey)
        if uid is None:
            raise self._error("SubtensorModule", error)
        return uid

    def _rate_limited(self, subnet: Subnet, uid: int, number: int, mechanism: int = 0) -> bool:
        """Each mechanism has its own rate limit (LastUpdate is per storage index)."""
        last = (
            subnet.neurons[uid].lite["last_update"]
            if mechanism == 0
            else subnet.mechanism_last_update.get(mechanism, {}).get(uid, 0)
        )
        limit = subnet.hyperparameters["weights_rate_limit"]
        return last != 0 and number - last < limit

    def _set_weights(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        dests: list[int] = list(args["dests"])
        values: list[int] = list(args["weights"])
        if len(dests) != len(values):
            raise self._error("SubtensorModule", "WeightVecNotEqualSize")
        subnet = self._weights_subnet(block, args)
        if subnet.hyperparameters["commit_reveal_weights_enabled"]:
            raise self._error("SubtensorModule", "CommitRevealEnabled")
        return self._write_weights(
            block,
            subnet,
            tx.signer,
            dests,
            values,
            args["version_key"],
            mechanism=args.get("mecid", 0),
        )

    def _write_weights(
        self,
        block: BlockDraft,
        subnet: Subnet,
        hotkey: bytes,
        dests: list[int],
        values: list[int],
        version_key: int,
        *,
        rate_limited: bool = True,
        mechanism: int = 0,
    ) -> Outcome:
        """subtensor's do_set_weights: its checks in its order, then the row and last_update."""
        params = subnet.hyperparameters
        size = len(subnet.neurons)
        if len(dests) > size:
            raise self._error("SubtensorModule", "UidsLengthExceedUidsInSubNet")
        uid = self._registered_uid(subnet, hotkey, "HotKeyNotRegisteredInSubNet")
        if subnet.neurons[uid].total_stake < block.stake_threshold:
            raise self._error("SubtensorModule", "NotEnoughStakeToSetWeights")
        if version_key < params["weights_version"]:
            raise self._error("SubtensorModule", "IncorrectWeightVersionKey")
        if rate_limited and self._rate_limited(subnet, uid, block.number, mechanism):
            raise self._error("SubtensorModule", "SettingWeightsTooFast")
        # a validator may only weight itself without a permit (a "self-weight")
        self_weight = dests == [uid]
        if not self_weight and not subnet.neurons[uid].lite["validator_permit"]:
            raise self._error("SubtensorModule", "NeuronNoValidatorPermit")
        if len(set(dests)) != len(dests):
            raise self._error("SubtensorModule", "DuplicateUids")
        if any(d >= size for d in dests):
            raise self._error("SubtensorModule", "UidVecContainInvalidOne")
        if not self_weight and len(dests) < min(params["min_allowed_weights"], size):
            raise self._error("SubtensorModule", "WeightVecLengthIsLow")
        if not self_weight and not _within_max_weight(values, params["max_weights_limit"]):
            raise self._error("SubtensorModule", "MaxWeightExceeded")
        row = [[d, w] for d, w in zip(dests, _max_upscale(values), strict=True)]
        if mechanism == 0:
            block.subnets[subnet.netuid] = dataclasses.replace(
                subnet,
                neurons=self._replace_neuron(subnet, uid, last_update=block.number),
                weights={**subnet.weights, uid: row},
            )
        else:
            block.subnets[subnet.netuid] = _in_mechanism(
                subnet, mechanism, uid, block.number, weights=row
            )
        index = storage_index(subnet.netuid, mechanism)
        return Outcome(events=[{"SubtensorModule": {"WeightsSet": [index, uid]}}])

    def _commit_weights(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._weights_subnet(block, args)
        params = subnet.hyperparameters
        if not params["commit_reveal_weights_enabled"]:
            raise self._error("SubtensorModule", "CommitRevealDisabled")
        if args["commit_reveal_version"] != COMMIT_REVEAL_VERSION:
            raise self._error("SubtensorModule", "IncorrectCommitRevealVersion")
        uid = self._registered_uid(subnet, tx.signer, "HotKeyNotRegisteredInSubNet")
        mechanism = args.get("mecid", 0)
        if self._rate_limited(subnet, uid, block.number, mechanism):
            raise self._error("SubtensorModule", "CommittingWeightsTooFast")
        kept = (
            subnet.weight_commits
            if mechanism == 0
            else subnet.mechanism_weight_commits.get(mechanism, {})
        )
        unrevealed = sum(1 for commits in kept.values() for c in commits if c[0] == tx.signer)
        if unrevealed >= MAX_UNREVEALED_COMMITS:
            raise self._error("SubtensorModule", "TooManyUnrevealedCommits")
        commit = bytes(args["commit"])
        epoch = epoch_index(subnet, block.number)
        entry = [tx.signer, block.number, commit, args["reveal_round"]]
        commits = {**kept}
        commits[epoch] = [*commits.get(epoch, []), entry]
        if mechanism == 0:
            block.subnets[subnet.netuid] = dataclasses.replace(
                subnet,
                neurons=self._replace_neuron(subnet, uid, last_update=block.number),
                weight_commits=commits,
            )
        else:
            block.subnets[subnet.netuid] = _in_mechanism(
                subnet, mechanism, uid, block.number, commits=commits
            )
        index = storage_index(subnet.netuid, mechanism)
        event = [tx.signer, index, blake2_256(commit), args["reveal_round"]]
        return Outcome(events=[{"SubtensorModule": {"TimelockedWeightsCommitted": event}}])

    def _commit_hash(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._weights_subnet(block, args)
        _mechanism_zero_only(args)
        uid = self._registered_uid(subnet, tx.signer, "HotKeyNotRegisteredInSubNet")
        if self._rate_limited(subnet, uid, block.number):
            raise self._error("SubtensorModule", "CommittingWeightsTooFast")
        digest = bytes(args["commit_hash"])
        try:
            subnet = hash_commits.commit(subnet, tx.signer, digest, block.number)
        except hash_commits.CommitRefused as refused:
            raise self._error("SubtensorModule", str(refused)) from None
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet, neurons=self._replace_neuron(subnet, uid, last_update=block.number)
        )
        event = [tx.signer, subnet.netuid, digest]
        return Outcome(events=[{"SubtensorModule": {"WeightsCommitted": event}}])

    def _reveal_weights(self, block: BlockDraft, tx: Transaction) -> Outcome:
        """The reveal of a hash commit: the weights go through set_weights' checks (but the
        rate limit: the commit already counted), then into Weights."""
        args = tx.args
        subnet = self._weights_subnet(block, args)
        _mechanism_zero_only(args)
        uids, values = list(args["uids"]), list(args["values"])
        digest = hash_commits.commit_hash(
            tx.signer, subnet.netuid, uids, values, list(args["salt"]), args["version_key"]
        )
        try:
            subnet = hash_commits.take_reveal(subnet, tx.signer, digest, block.number)
        except hash_commits.CommitRefused as refused:
            raise self._error("SubtensorModule", str(refused)) from None
        if len(uids) != len(values):
            raise self._error("SubtensorModule", "WeightVecNotEqualSize")
        outcome = self._write_weights(
            block, subnet, tx.signer, uids, values, args["version_key"], rate_limited=False
        )
        event = [tx.signer, subnet.netuid, digest]
        outcome.events.insert(0, {"SubtensorModule": {"WeightsRevealed": event}})
        return outcome

    def _burned_register(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._subnet(block, args["netuid"])
        hotkey: bytes = args["hotkey"]
        if not subnet.hyperparameters["registration_allowed"]:
            raise self._error("SubtensorModule", "SubNetRegistrationDisabled")
        if subnet.uid_of(hotkey) is not None:
            raise self._error("SubtensorModule", "HotKeyAlreadyRegisteredInSubNet")
        candidates = [
            n
            for n in subnet.neurons
            if not n.lite["validator_permit"] and n.hotkey != VALIDATOR_HOTKEY
        ]
        if not candidates:
            raise self._error("SubtensorModule", "NoNeuronIdAvailable")
        # the chain prunes the neuron with the lowest pruning score (the lowest uid on a tie)
        old = min(candidates, key=lambda n: (n.lite["pruning_score"], n.uid))
        neurons = list(subnet.neurons)
        immune_until = block.number + subnet.hyperparameters["immunity_period"]
        neurons[old.uid] = old.reregistered(self.runtime, hotkey, tx.signer, block.number).replace(
            self.runtime, immune_until=immune_until
        )
        commitments = subnet.commitments
        if old.hotkey in commitments:
            commitments = {k: v for k, v in commitments.items() if k != old.hotkey}
        weights = subnet.weights
        if old.uid in weights:
            weights = {k: v for k, v in weights.items() if k != old.uid}
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet, neurons=tuple(neurons), commitments=commitments, weights=weights
        )
        event = [subnet.netuid, old.uid, hotkey]
        return Outcome(events=[{"SubtensorModule": {"NeuronRegistered": event}}])

    def _serve_axon(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._subnet(block, args["netuid"])
        uid = self._registered_uid(subnet, tx.signer, "HotKeyNotRegisteredInNetwork")
        if args["ip_type"] not in (4, 6):
            raise self._error("SubtensorModule", "InvalidIpType")
        if args["port"] == 0:
            raise self._error("SubtensorModule", "InvalidPort")
        axon = {
            "block": block.number,
            "version": args["version"],
            "ip": args["ip"],
            "port": args["port"],
            "ip_type": args["ip_type"],
            "protocol": args["protocol"],
            "placeholder1": args["placeholder1"],
            "placeholder2": args["placeholder2"],
        }
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet, neurons=self._replace_neuron(subnet, uid, axon_info=axon)
        )
        return Outcome(events=[{"SubtensorModule": {"AxonServed": [subnet.netuid, tx.signer]}}])

    # Commitments ---------------------------------------------------------------------------

    def _set_commitment(self, block: BlockDraft, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = block.subnets.get(args["netuid"])
        if subnet is None or subnet.uid_of(tx.signer) is None:
            raise self._error("Commitments", "AccountNotAllowedCommit")
        registration = {"deposit": 0, "block": block.number, "info": args["info"]}
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet, commitments={**subnet.commitments, tx.signer: registration}
        )
        event = {"netuid": subnet.netuid, "who": tx.signer}
        return Outcome(events=[{"Commitments": {"Commitment": event}}])

    # Balances ------------------------------------------------------------------------------

    def _transfer(self, block: BlockDraft, tx: Transaction) -> Outcome:
        dest = tx.args["dest"]
        if not (isinstance(dest, dict) and "Id" in dest):
            raise DispatchFailure("CannotLookup", "CannotLookup")
        keep_alive = tx.function == "transfer_keep_alive"
        value = tx.args["value"]
        try:
            balances.transfer(block.accounts, tx.signer, dest["Id"], value, keep_alive=keep_alive)
        except balances.TransferRefused as refused:
            raise self._error("Balances", str(refused)) from None
        event = {"from": tx.signer, "to": dest["Id"], "amount": value}
        return Outcome(events=[{"Balances": {"Transfer": event}}])

    # Sudo, AdminUtils ------------------------------------------------------------------------

    def _sudo(self, block: BlockDraft, tx: Transaction) -> Outcome:
        """Sudo.sudo: the sudo key (//Alice, as on a dev chain) runs the inner call as root.
        The extrinsic succeeds even when the inner call fails; `Sudid` carries its result."""
        if tx.signer != SUDO_KEY:
            raise self._error("Sudo", "RequireSudo")
        ((pallet, inner),) = tx.args["call"].items()
        ((function, args),) = inner.items() if isinstance(inner, dict) else ((inner, {}),)
        call = dataclasses.replace(tx, pallet=pallet, function=function, args=args or {})
        outcome = self._dispatch(block, call, root=True)
        result = {"Ok": None} if outcome.error is None else {"Err": outcome.error}
        return Outcome(events=[*outcome.events, {"Sudo": {"Sudid": {"sudo_result": result}}}])

    def _root_admin(self, block: BlockDraft, tx: Transaction) -> Outcome:
        """An AdminUtils call with the root origin: no owner check."""
        return self._sudo_set(block, tx, root=True)

    def _sudo_set(self, block: BlockDraft, tx: Transaction, root: bool = False) -> Outcome:
        """Any AdminUtils call: the subnet owner's coldkey only (or root, through Sudo.sudo);
        sets the hyperparameter behind it when there is one. Calls without a netuid are
        root-only: BadOrigin when signed directly, accepted (and changing nothing) as root."""
        args = dict(tx.args)
        if "netuid" not in args:
            if not root:
                raise DispatchFailure("BadOrigin", "BadOrigin")
            logger.info("simnet: AdminUtils.%s as root: accepted, nothing changes", tx.function)
            return Outcome()
        subnet = self._subnet(block, args.pop("netuid"), "AdminUtils")
        if not root and tx.signer != subnet.owner_coldkey:
            raise DispatchFailure("BadOrigin", "BadOrigin")
        changes = sudo_changes(tx.function, args, subnet.hyperparameters)
        if changes is None:
            logger.info(
                "simnet: AdminUtils.%s has no hyperparameter behind it in the simnet: "
                "accepted, nothing changes",
                tx.function,
            )
            return Outcome()
        block.subnets[subnet.netuid] = with_changes(subnet, changes)
        return Outcome()


def _in_mechanism(
    subnet: Subnet,
    mechanism: int,
    uid: int,
    number: int,
    *,
    weights: list[list[int]] | None = None,
    commits: Mapping[int, list[list[Any]]] | None = None,
) -> Subnet:
    """The subnet after `uid` set weights (a row) or committed them in mechanism >= 1: that
    mechanism's row or commits and its last update (mechanism 0's last_update is untouched)."""
    last = {**subnet.mechanism_last_update.get(mechanism, {}), uid: number}
    changes: dict[str, Any] = {
        "mechanism_last_update": {**subnet.mechanism_last_update, mechanism: last}
    }
    if weights is not None:
        rows = {**subnet.mechanism_weights.get(mechanism, {}), uid: weights}
        changes["mechanism_weights"] = {**subnet.mechanism_weights, mechanism: rows}
    if commits is not None:
        changes["mechanism_weight_commits"] = {
            **subnet.mechanism_weight_commits,
            mechanism: commits,
        }
    return dataclasses.replace(subnet, **changes)


def _mechanism_zero_only(args: Mapping[str, Any]) -> None:
    """Hash commit-reveal (commit/reveal_mechanism_weights) is modelled for mechanism 0 only."""
    if args.get("mecid", 0) != 0:
        raise DispatchFailure("Other", "hash commits of mechanism >= 1: not simulated")


def _within_max_weight(values: list[int], limit: int) -> bool:
    """subtensor's max_weight_limited: normalised to sum to 65535, no weight above the limit
    (a limit of 65535 allows anything)."""
    if limit >= 65535:
        return True
    total = sum(values)
    return total == 0 or max(values) * 65535 // total <= limit


def _max_upscale(values: list[int]) -> list[int]:
    """subtensor's vec_u16_max_upscale_to_u16: the largest becomes 65535 (unless it is 0 or
    already above 32768)."""
    top = max(values, default=0)
    if top == 0 or top > 32768:
        return values
    return [min(65535, v * 65535 // top) for v in values]
