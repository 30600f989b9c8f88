"""The write path: signed extrinsics checked as a node's transaction pool checks them, and
dispatched into the next block as the runtime would.

`check` decodes an extrinsic with the metadata and validates it (format, signer, era, nonce,
sr25519/ed25519 signature over the signing payload); an invalid one raises the `RpcError` a
node answers (1001 bad format, 1010 "Invalid Transaction" with the reason, 1013/1014 for a
duplicate in the pool). `Dispatcher.apply` runs valid ones in a block: it bumps the signer's
nonce, calls the pallet function (with the chain's checks) and records the block's events:
the pallet's own event and `System.ExtrinsicSuccess`, or `System.ExtrinsicFailed` with the
module error from the metadata. No fees are charged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import struct
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bittensor.keyfiles import Keypair

from .node import RpcError
from .scale import ScaleError, decode_compact

if TYPE_CHECKING:
    from .runtime import Runtime
    from .world import Subnet, World

logger = logging.getLogger("pylon_gql.simnet")

# what the chain's storage `CommitRevealVersion` holds (turbobt commits with version 4)
COMMIT_REVEAL_VERSION = 4
# subtensor's MAX_UNREVEALED_COMMITS per hotkey and subnet
MAX_UNREVEALED_COMMITS = 10
SIGNED_V4 = 0x84

# sudo_set_<name> -> the hyperparameter it sets, where the names differ
SUDO_HYPERPARAMETERS: dict[str, str] = {
    "weights_version_key": "weights_version",
    "weights_set_rate_limit": "weights_rate_limit",
    "max_weight_limit": "max_weights_limit",
    "network_registration_allowed": "registration_allowed",
    "target_registrations_per_interval": "target_regs_per_interval",
    "max_allowed_validators": "max_validators",
    "bonds_moving_average": "bonds_moving_avg",
    "max_registrations_per_block": "max_regs_per_block",
    "commit_reveal_weights_interval": "commit_reveal_period",
    "toggle_transfer": "transfers_enabled",
}

# the weight a node reports for a dispatched call (the simnet does not meter calls)
_DISPATCH_INFO = {
    "weight": {"ref_time": 0, "proof_size": 0},
    "class": "Normal",
    "pays_fee": "Yes",
}


def invalid_transaction(reason: str) -> RpcError:
    """What a node answers for a transaction its pool refuses as invalid."""
    return RpcError(1010, "Invalid Transaction", reason)


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


@dataclasses.dataclass(frozen=True)
class Transaction:
    """A checked signed extrinsic, waiting in the pool or included in a block."""

    data: bytes  # the extrinsic as submitted (compact length + body)
    hash: str  # 0x + blake2-256 of `data`, as the node names it
    signer: bytes
    nonce: int
    pallet: str
    function: str
    args: Mapping[str, Any]


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


# -- checking (the transaction pool) ---------------------------------------------------------


def check(runtime: Runtime, world: World, data: bytes) -> Transaction:
    """Decode and validate an extrinsic against the best block, as the pool does on submit."""
    fmt = runtime.extrinsic
    codec = runtime.codec
    try:
        length, offset = decode_compact(data, 0)
        if length != len(data) - offset:
            raise ScaleError(f"the length prefix says {length} bytes, {len(data) - offset} follow")
        if data[offset] != SIGNED_V4:
            if data[offset] == fmt.version:
                # an unsigned call: only inherents are, and those no pool takes
                raise RpcError(
                    1011,
                    "Unknown Transaction Validity",
                    "Could not find an unsigned validator for the unsigned transaction",
                )
            raise ScaleError(f"unsupported extrinsic version byte {data[offset]:#x}")
        offset += 1
        address, offset = codec.decoder(fmt.address_type)(data, offset)
        signature, offset = codec.decoder(fmt.signature_type)(data, offset)
        extra_start = offset
        extras: dict[str, Any] = {}
        for identifier, type_id, _ in fmt.extensions:
            extras[identifier], offset = codec.decoder(type_id)(data, offset)
        extra_bytes = data[extra_start:offset]
        era_bytes = _era_bytes(data, extra_start, runtime)
        call_bytes = data[offset:]
        call = codec.decode(fmt.call_type, call_bytes)
    except (ScaleError, IndexError, struct.error, ValueError, KeyError, TypeError) as e:
        raise RpcError(1001, f"Extrinsic has invalid format: {e}") from None

    if not isinstance(address, dict) or "Id" not in address:
        raise RpcError(
            1011,
            "Unknown Transaction Validity",
            "Could not lookup information required to validate the transaction",
        )
    signer: bytes = address["Id"]
    head = world.head
    current = head.number + 1  # a transaction is validated for the block after the best one

    birth = era_birth(era_bytes, current)
    if birth is None:
        birth_hash = world.genesis_hash
    else:
        found = world.hash_by_number.get(birth)
        if found is None or birth > head.number:
            raise invalid_transaction("Transaction has an ancient birth block")
        birth_hash = found

    version = runtime.runtime_version
    additional = {
        "CheckSpecVersion": version["specVersion"].to_bytes(4, "little"),
        "CheckTxVersion": version["transactionVersion"].to_bytes(4, "little"),
        "CheckGenesis": bytes.fromhex(world.genesis_hash[2:]),
        "CheckMortality": bytes.fromhex(birth_hash[2:]),
        # mode Disabled: no metadata hash; Enabled would need one, which the simnet lacks
        "CheckMetadataHash": b"\x00",
    }
    payload = (
        call_bytes
        + extra_bytes
        + b"".join(additional.get(identifier, b"") for identifier, _, _ in fmt.extensions)
    )
    if len(payload) > 256:
        payload = blake2_256(payload)
    if not _verify(signer, signature, payload):
        raise invalid_transaction("Transaction has a bad signature")

    nonce = extras.get("CheckNonce", 0)
    account_nonce = world.account_nonce(signer)
    if nonce < account_nonce:
        raise invalid_transaction("Transaction is outdated")
    transaction_hash = "0x" + blake2_256(data).hex()
    pending = [t for t in world.pool if t.signer == signer]
    for other in pending:
        if other.hash == transaction_hash:
            raise RpcError(
                1013, "Transaction Already Imported", "The transaction is already in the pool."
            )
        if other.nonce == nonce:
            raise RpcError(
                1014,
                "Priority is too low: (0 vs 0)",
                "The transaction has too low priority to replace another transaction already "
                "in the pool.",
            )
    if nonce > account_nonce + len(pending):
        # a node parks it in its future queue; the simnet refuses it instead
        raise invalid_transaction("Transaction will be valid in the future")

    ((pallet, inner),) = call.items()
    ((function, args),) = inner.items() if isinstance(inner, dict) else ((inner, {}),)
    return Transaction(
        data=data,
        hash=transaction_hash,
        signer=signer,
        nonce=nonce,
        pallet=pallet,
        function=function,
        args=args if isinstance(args, dict) else {},
    )


def _era_bytes(data: bytes, offset: int, runtime: Runtime) -> bytes:
    """The raw era (CheckMortality) inside the extras that start at `offset`."""
    codec = runtime.codec
    for identifier, type_id, _ in runtime.extrinsic.extensions:
        start = offset
        _, offset = codec.decoder(type_id)(data, offset)
        if identifier == "CheckMortality":
            return data[start:offset]
    return b"\x00"


def era_birth(era: bytes, current: int) -> int | None:
    """The block a mortal era was made at, seen from block `current`; None: immortal."""
    if not era or era[0] == 0:
        return None
    encoded = era[0] | (era[1] << 8)
    period = 2 << (encoded % 16)
    quantize = max(period >> 12, 1)
    phase = (encoded >> 4) * quantize
    return (max(current, phase) - phase) // period * period + phase


def _verify(signer: bytes, signature: Any, payload: bytes) -> bool:
    if not isinstance(signature, dict):
        return False
    ((scheme, raw),) = signature.items()
    crypto = {"Sr25519": 1, "Ed25519": 0}.get(scheme)
    if crypto is None:
        return False  # ECDSA signatures are not simulated
    try:
        return bool(Keypair(public_key=signer, crypto_type=crypto).verify(payload, bytes(raw)))
    except Exception:
        return False


# -- dispatching (the runtime) ---------------------------------------------------------------


class Block:
    """The block being built: its number and the subnets and accounts it changes."""

    def __init__(self, number: int, subnets: dict[int, Subnet], accounts: dict[bytes, Any]):
        self.number = number
        self.subnets = subnets
        self.accounts = accounts


class Dispatcher:
    """Runs checked extrinsics on a block being built, with the chain's checks."""

    def __init__(self, runtime: Runtime, world: World) -> None:
        self.runtime = runtime
        self.world = world
        self._calls: dict[tuple[str, str], Callable[[Block, Transaction], Outcome]] = {
            ("SubtensorModule", "set_weights"): self._set_weights,
            ("SubtensorModule", "set_mechanism_weights"): self._set_weights,
            ("SubtensorModule", "commit_timelocked_weights"): self._commit_weights,
            ("SubtensorModule", "commit_timelocked_mechanism_weights"): self._commit_weights,
            ("SubtensorModule", "burned_register"): self._burned_register,
            ("SubtensorModule", "serve_axon"): self._serve_axon,
            ("Commitments", "set_commitment"): self._set_commitment,
            ("Sudo", "sudo"): self._sudo,
        }

    def apply(
        self, block: Block, transactions: list[Transaction], first_index: int
    ) -> list[dict[str, Any]]:
        """Apply `transactions` in order (extrinsic indexes from `first_index`); return the
        event records. A failed call changes nothing but the signer's nonce."""
        records: list[dict[str, Any]] = []
        for index, transaction in enumerate(transactions, start=first_index):
            account = block.accounts.get(transaction.signer) or _new_account()
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

    def _dispatch(self, block: Block, transaction: Transaction, root: bool = False) -> Outcome:
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

    def _subnet(self, block: Block, netuid: int, pallet: str = "SubtensorModule") -> Subnet:
        subnet = block.subnets.get(netuid)
        if subnet is None:
            raise self._error(
                pallet, "SubnetDoesNotExist" if pallet == "AdminUtils" else "SubnetNotExists"
            )
        return subnet

    def _replace_neuron(self, subnet: Subnet, uid: int, **changes: Any) -> tuple[Any, ...]:
        world = self.world
        neurons = list(subnet.neurons)
        neurons[uid] = neurons[uid].replace(world.runtime, world.lite_type, **changes)
        return tuple(neurons)

    # SubtensorModule ---------------------------------------------------------------------------

    def _weights_subnet(self, block: Block, args: Mapping[str, Any]) -> Subnet:
        if args.get("mecid", 0) != 0:
            raise self._error("SubtensorModule", "MechanismDoesNotExist")
        return self._subnet(block, args["netuid"])

    def _registered_uid(self, subnet: Subnet, hotkey: bytes, error: str) -> int:
        uid = subnet.uid_of(hotkey)
        if uid is None:
            raise self._error("SubtensorModule", error)
        return uid

    def _rate_limited(self, subnet: Subnet, uid: int, number: int) -> bool:
        last = subnet.neurons[uid].lite["last_update"]
        limit = subnet.hyperparameters["weights_rate_limit"]
        return last != 0 and number - last < limit

    def _set_weights(self, block: Block, tx: Transaction) -> Outcome:
        args = tx.args
        dests: list[int] = list(args["dests"])
        values: list[int] = list(args["weights"])
        if len(dests) != len(values):
            raise self._error("SubtensorModule", "WeightVecNotEqualSize")
        subnet = self._weights_subnet(block, args)
        params = subnet.hyperparameters
        if params["commit_reveal_weights_enabled"]:
            raise self._error("SubtensorModule", "CommitRevealEnabled")
        uid = self._registered_uid(subnet, tx.signer, "HotKeyNotRegisteredInSubNet")
        if subnet.neurons[uid].total_stake < self.world.head.stake_threshold:
            raise self._error("SubtensorModule", "NotEnoughStakeToSetWeights")
        if args["version_key"] < params["weights_version"]:
            raise self._error("SubtensorModule", "IncorrectWeightVersionKey")
        if self._rate_limited(subnet, uid, block.number):
            raise self._error("SubtensorModule", "SettingWeightsTooFast")
        if len(set(dests)) != len(dests):
            raise self._error("SubtensorModule", "DuplicateUids")
        if any(d >= len(subnet.neurons) for d in dests):
            raise self._error("SubtensorModule", "UidVecContainInvalidOne")
        row = [[d, w] for d, w in zip(dests, _max_upscale(values), strict=True)]
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet,
            neurons=self._replace_neuron(subnet, uid, last_update=block.number),
            weights={**subnet.weights, uid: row},
        )
        return Outcome(events=[{"SubtensorModule": {"WeightsSet": [subnet.netuid, uid]}}])

    def _commit_weights(self, block: Block, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._weights_subnet(block, args)
        params = subnet.hyperparameters
        if not params["commit_reveal_weights_enabled"]:
            raise self._error("SubtensorModule", "CommitRevealDisabled")
        if args["commit_reveal_version"] != COMMIT_REVEAL_VERSION:
            raise self._error("SubtensorModule", "IncorrectCommitRevealVersion")
        uid = self._registered_uid(subnet, tx.signer, "HotKeyNotRegisteredInSubNet")
        if self._rate_limited(subnet, uid, block.number):
            raise self._error("SubtensorModule", "CommittingWeightsTooFast")
        unrevealed = sum(
            1 for commits in subnet.weight_commits.values() for c in commits if c[0] == tx.signer
        )
        if unrevealed >= MAX_UNREVEALED_COMMITS:
            raise self._error("SubtensorModule", "TooManyUnrevealedCommits")
        commit = bytes(args["commit"])
        epoch = epoch_index(subnet, block.number)
        entry = [tx.signer, block.number, commit, args["reveal_round"]]
        commits = {**subnet.weight_commits}
        commits[epoch] = [*commits.get(epoch, []), entry]
        block.subnets[subnet.netuid] = dataclasses.replace(
            subnet,
            neurons=self._replace_neuron(subnet, uid, last_update=block.number),
            weight_commits=commits,
        )
        event = [tx.signer, subnet.netuid, blake2_256(commit), args["reveal_round"]]
        return Outcome(events=[{"SubtensorModule": {"TimelockedWeightsCommitted": event}}])

    def _burned_register(self, block: Block, tx: Transaction) -> Outcome:
        args = tx.args
        subnet = self._subnet(block, args["netuid"])
        hotkey: bytes = args["hotkey"]
        if not subnet.hyperparameters["registration_allowed"]:
            raise self._error("SubtensorModule", "SubNetRegistrationDisabled")
        if subnet.uid_of(hotkey) is not None:
            raise self._error("SubtensorModule", "HotKeyAlreadyRegisteredInSubNet")
        from .world import VALIDATOR_HOTKEY

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
        neurons[old.uid] = self.world.register_neuron(old, hotkey, tx.signer, block.number).replace(
            self.world.runtime, self.world.lite_type, immune_until=immune_until
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

    def _serve_axon(self, block: Block, tx: Transaction) -> Outcome:
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

    def _set_commitment(self, block: Block, tx: Transaction) -> Outcome:
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

    # Sudo, AdminUtils ------------------------------------------------------------------------

    def _sudo(self, block: Block, tx: Transaction) -> Outcome:
        """Sudo.sudo: the sudo key (//Alice, as on a dev chain) runs the inner call as root.
        The extrinsic succeeds even when the inner call fails; `Sudid` carries its result."""
        from .world import SUDO_KEY

        if tx.signer != SUDO_KEY:
            raise self._error("Sudo", "RequireSudo")
        ((pallet, inner),) = tx.args["call"].items()
        ((function, args),) = inner.items() if isinstance(inner, dict) else ((inner, {}),)
        call = dataclasses.replace(tx, pallet=pallet, function=function, args=args or {})
        outcome = self._dispatch(block, call, root=True)
        result = {"Ok": None} if outcome.error is None else {"Err": outcome.error}
        return Outcome(events=[*outcome.events, {"Sudo": {"Sudid": {"sudo_result": result}}}])

    def _root_admin(self, block: Block, tx: Transaction) -> Outcome:
        """An AdminUtils call with the root origin: no owner check."""
        return self._sudo_set(block, tx, root=True)

    def _sudo_set(self, block: Block, tx: Transaction, root: bool = False) -> Outcome:
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
        if "owner_hotkey" in changes:
            block.subnets[subnet.netuid] = dataclasses.replace(
                subnet, owner_hotkey=changes["owner_hotkey"]
            )
        else:
            block.subnets[subnet.netuid] = dataclasses.replace(
                subnet, hyperparameters={**subnet.hyperparameters, **changes}
            )
        return Outcome()


def sudo_changes(
    function: str, args: Mapping[str, Any], hyperparameters: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What an AdminUtils call (its args without the netuid) changes in a subnet's
    hyperparameters; None when no hyperparameter the simnet keeps is behind it."""
    name = function.removeprefix("sudo_set_")
    if function == "sudo_set_alpha_values":
        return {"alpha_low": args["alpha_low"], "alpha_high": args["alpha_high"]}
    if function == "sudo_set_yuma3_enabled":
        return {"yuma_version": 3 if args["enabled"] else 2}
    if function == "sudo_set_alpha_sigmoid_steepness":
        return {"alpha_sigmoid_steepness": {"bits": args["steepness"] << 32}}
    if function in ("sudo_set_sn_owner_hotkey", "sudo_set_subnet_owner_hotkey"):
        return {"owner_hotkey": args["hotkey"]}
    target = SUDO_HYPERPARAMETERS.get(name, name)
    if target not in hyperparameters or len(args) != 1:
        return None
    (value,) = args.values()
    return {target: value}


def epoch_index(subnet: Subnet, number: int) -> int:
    """subtensor's get_epoch_index: (block + netuid + 1) // (tempo + 1)."""
    return (number + subnet.netuid + 1) // (subnet.hyperparameters["tempo"] + 1)


def _max_upscale(values: list[int]) -> list[int]:
    """subtensor's vec_u16_max_upscale_to_u16: the largest becomes 65535 (unless it is 0 or
    already above 32768)."""
    top = max(values, default=0)
    if top == 0 or top > 32768:
        return values
    return [min(65535, v * 65535 // top) for v in values]


def _new_account() -> dict[str, Any]:
    return {
        "nonce": 0,
        "consumers": 0,
        "providers": 1,
        "sufficients": 0,
        "data": {"free": 0, "reserved": 0, "frozen": 0, "flags": 1 << 127},
    }
