"""A fake pylon-gql client for validators' tests: the client's API, answered from canned data.

    fake = FakeAsyncPylonClient()                      # the built-in sample (subnet 1, 64 uids)
    fake = FakeAsyncPylonClient("tests/metagraph.json")  # or your own JSON (see `sample_data`)
    fake.answer("epoch", my_epoch)                     # a value, or a function of the arguments
    fake.fail("head", Unavailable("node down"))        # make a method raise
    ...
    assert fake.calls_to("neuron") == [{"uid": 3, "hotkey": None, "block": None}]

It checks its arguments the way the server does (a block past the head is `BlockInFuture`, a
uid outside the subnet `InvalidInput`, ...), and filters, orders and pages neurons like it.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import math
from collections.abc import AsyncGenerator, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self, overload

from ..client import AsyncPylonClient
from ..errors import BlockInFuture, CommitRefused, InvalidInput, NotFound, ValidationFailed
from ..models import (
    Block,
    BlockRef,
    Chain,
    Commitment,
    CommitmentEncoding,
    Epoch,
    EpochWeights,
    Hyperparameters,
    Metagraph,
    Neuron,
    NeuronField,
    NeuronFilter,
    NeuronOrder,
    NeuronOrderField,
    OrderDirection,
    PartialNeuron,
    SetCommitmentSuccess,
    SetHyperparameterSuccess,
    SetWeightsSuccess,
    Subnet,
    Weight,
    WeightCommit,
    WeightCommitMode,
    WeightCommitStatus,
    WeightInput,
    WeightSuccess,
)

_BASE58 = set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

#: Neuron attribute each order field sorts by.
_ORDER_KEYS: dict[NeuronOrderField, str] = {
    NeuronOrderField.UID: "uid",
    NeuronOrderField.STAKE: "stake",
    NeuronOrderField.EMISSION: "emission",
    NeuronOrderField.RANK: "rank",
    NeuronOrderField.INCENTIVE: "incentive",
    NeuronOrderField.CONSENSUS: "consensus",
    NeuronOrderField.TRUST: "trust",
    NeuronOrderField.VALIDATOR_TRUST: "validator_trust",
    NeuronOrderField.DIVIDENDS: "dividends",
    NeuronOrderField.LAST_UPDATE: "last_update",
    NeuronOrderField.PRUNING_SCORE: "pruning_score",
}


def sample_data() -> dict[str, Any]:
    """The built-in sample: the server's JSON answers to the client's documents (`head`,
    `chain`, `epoch`, `hyperparameters`, `subnet`, `commitments`, `metagraph`), from the
    simulated chain (finney subnet 1 at block 6852690), trimmed to 64 uids. A file of your own
    has the same shape; keys you leave out are taken from the sample."""
    text = (
        resources.files(__name__.rpartition(".")[0])
        .joinpath("sample.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


@dataclass(frozen=True)
class Call:
    """One call the fake answered (or failed): the method and its arguments by name."""

    method: str
    arguments: dict[str, Any] = field(default_factory=dict)


def _looks_ss58(value: str) -> bool:
    return 46 <= len(value) <= 48 and set(value) <= _BASE58


class FakeAsyncPylonClient:
    """`AsyncPylonClient`'s API over canned data; records every call in `calls`."""

    #: Most neurons one list returns (the server's PYLON_MAX_PAGE_SIZE).
    max_page_size = 4096

    def __init__(self, data: Mapping[str, Any] | str | Path | None = None) -> None:
        canned = sample_data()
        if isinstance(data, str | Path):
            canned.update(json.loads(Path(data).read_text(encoding="utf-8")))
        elif data is not None:
            canned.update(data)
        self.url = "fake://pylon-gql"
        self.calls: list[Call] = []
        self._answers: dict[str, Any] = {}
        self._failures: dict[str, BaseException] = {}
        self._head = Block.model_validate(canned["head"])
        self._blocks: dict[int, Block] = {self._head.number: self._head}
        self._chain = Chain.model_validate(canned["chain"])
        self._epoch = Epoch.model_validate(canned["epoch"])
        self._hyperparameters = Hyperparameters.model_validate(canned["hyperparameters"])
        self._subnet = Subnet.model_validate(canned["subnet"])
        self._commitments = [Commitment.model_validate(c) for c in canned["commitments"]]
        self._metagraph = Metagraph.model_validate(canned["metagraph"])
        self._new_block = asyncio.Event()
        self._weights: dict[str, Weight] = {}
        self._commits: list[WeightCommit] = []
        #: The hotkey the fake validator signs with (its commitment's), by default uid 0's.
        self.hotkey = self._metagraph.neurons[0].hotkey if self._metagraph.neurons else ""

    # --- what a test controls

    def answer(self, method: str, value: Any) -> None:
        """Make `method` return `value`, or `value(**arguments)` when it is callable."""
        self._check_method(method)
        self._failures.pop(method, None)
        self._answers[method] = value

    def fail(self, method: str, error: BaseException) -> None:
        """Make `method` raise `error` (a `PylonError` subclass, say) until `reset(method)`."""
        self._check_method(method)
        self._answers.pop(method, None)
        self._failures[method] = error

    def reset(self, method: str | None = None) -> None:
        """Back to the canned answers (for one method, or all), calls kept."""
        for table in (self._answers, self._failures):
            if method is None:
                table.clear()
            else:
                table.pop(method, None)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method`, oldest first."""
        return [call.arguments for call in self.calls if call.method == method]

    def produce_blocks(self, count: int = 1) -> Block:
        """Move the fake head `count` blocks on (12 s apart); the new head."""
        for _ in range(count):
            head = self._head
            number = head.number + 1
            self._head = Block(
                number=number,
                hash="0x" + hashlib.sha256(f"{head.hash}{number}".encode()).hexdigest(),
                parent_hash=head.hash,
                timestamp=None
                if head.timestamp is None
                else head.timestamp + timedelta(seconds=12),
            )
            self._blocks[number] = self._head
        self._new_block.set()
        return self._head

    @classmethod
    def _check_method(cls, method: str) -> None:
        public = not method.startswith("_") and hasattr(AsyncPylonClient, method)
        if not (public and inspect.isfunction(getattr(cls, method, None))):
            raise AttributeError(f"the client has no method {method!r}")

    async def _answered(self, method: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        self.calls.append(Call(method, dict(arguments)))
        if method in self._failures:
            raise self._failures[method]
        if method in self._answers:
            value = self._answers[method]
            if callable(value):
                value = value(**arguments)
                if inspect.isawaitable(value):
                    value = await value
            return True, value
        return False, None

    # --- the client's API

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        pass

    @property
    def attempts(self) -> int:
        return len(self.calls)

    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the client's signature)
    ) -> dict[str, Any]:
        """Only what a test gave with `answer("execute", ...)`: the fake runs no GraphQL."""
        arguments = {"document": document, "variables": variables, "operation_name": operation_name}
        answered, value = await self._answered("execute", arguments)
        if not answered:
            raise NotImplementedError('the fake runs no documents: fake.answer("execute", ...)')
        return value

    def _at(self, block: int | None) -> None:
        if block is None:
            return
        if block < 0:
            raise InvalidInput(f"block must be 0 or more, got {block}")
        if block > self._head.number:
            raise BlockInFuture(
                f"block {block} is in the future (head is {self._head.number})",
                extensions={"code": "BLOCK_IN_FUTURE", "head": self._head.number},
            )

    async def head(self) -> Block:
        answered, value = await self._answered("head", {})
        return value if answered else self._head

    async def block(self, number: int | None = None, *, hash: str | None = None) -> Block | None:
        answered, value = await self._answered("block", {"number": number, "hash": hash})
        if answered:
            return value
        if number is not None and hash is not None:
            raise InvalidInput("give a block number or a hash, not both")
        if hash is not None:
            body = hash.removeprefix("0x")
            if len(body) != 64 or not all(c in "0123456789abcdefABCDEF" for c in body):
                raise InvalidInput(f"not a block hash: {hash!r}")
            return next((b for b in self._blocks.values() if b.hash == hash.lower()), None)
        if number is None:
            return self._head
        self._at(number)
        if number not in self._blocks:
            raise NotFound(f"the node knows no block {number}")
        return self._blocks[number]

    def _neurons(
        self,
        where: NeuronFilter | Mapping[str, Any] | None,
        order_by: NeuronOrder | Mapping[str, Any] | None,
        first: int | None,
        offset: int,
    ) -> list[Neuron]:
        if first is not None and not 0 <= first <= self.max_page_size:
            raise InvalidInput(f"first must be between 0 and {self.max_page_size}, got {first}")
        if offset < 0:
            raise InvalidInput(f"offset must be 0 or more, got {offset}")
        condition = (
            where if isinstance(where, NeuronFilter) else NeuronFilter.model_validate(where or {})
        )
        order = (
            order_by
            if isinstance(order_by, NeuronOrder)
            else NeuronOrder.model_validate(order_by or {})
        )
        kept = [n for n in self._metagraph.neurons if _keeps(condition, n)]
        key = _ORDER_KEYS[order.field]
        kept.sort(key=lambda n: n.uid)
        kept.sort(key=lambda n: getattr(n, key), reverse=order.direction == OrderDirection.DESC)
        end = None if first is None else offset + first
        return kept[offset:end][: self.max_page_size]

    async def metagraph(
        self,
        block: int | None = None,
        *,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        offset: int = 0,
    ) -> Metagraph:
        arguments = {
            "block": block,
            "where": where,
            "order_by": order_by,
            "first": first,
            "offset": offset,
        }
        answered, value = await self._answered("metagraph", arguments)
        if answered:
            return value
        self._at(block)
        neurons = self._neurons(where, order_by, first, offset)
        return self._metagraph.model_copy(update={"neurons": neurons})

    @overload
    async def neurons(
        self,
        block: int | None = None,
        *,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        offset: int = 0,
        fields: None = None,
    ) -> list[Neuron]: ...

    @overload
    async def neurons(
        self,
        block: int | None = None,
        *,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        offset: int = 0,
        fields: Collection[NeuronField],
    ) -> list[PartialNeuron]: ...

    async def neurons(
        self,
        block: int | None = None,
        *,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        offset: int = 0,
        fields: Collection[NeuronField] | None = None,
    ) -> list[Neuron] | list[PartialNeuron]:
        arguments = {
            "block": block,
            "where": where,
            "order_by": order_by,
            "first": first,
            "offset": offset,
            "fields": fields,
        }
        answered, value = await self._answered("neurons", arguments)
        if answered:
            return value
        self._at(block)
        neurons = self._neurons(where, order_by, first, offset)
        if fields is None:
            return neurons
        if isinstance(fields, str):
            raise TypeError("fields is a collection of field names, not one string")
        unknown = set(fields) - set(Neuron.model_fields)
        if unknown:
            raise ValueError(f"not Neuron fields: {', '.join(sorted(unknown))}")
        wanted = {"uid", *fields}
        return [PartialNeuron(**{name: getattr(n, name) for name in wanted}) for n in neurons]

    async def neuron(
        self, uid: int | None = None, *, hotkey: str | None = None, block: int | None = None
    ) -> Neuron | None:
        answered, value = await self._answered(
            "neuron", {"uid": uid, "hotkey": hotkey, "block": block}
        )
        if answered:
            return value
        if (uid is None) == (hotkey is None):
            raise InvalidInput("give exactly one of uid and hotkey")
        self._at(block)
        neurons = self._metagraph.neurons
        if uid is not None:
            found = next((n for n in neurons if n.uid == uid), None)
            if found is None:
                raise InvalidInput(f"uid {uid} is not in the subnet")
            return found
        assert hotkey is not None
        if not _looks_ss58(hotkey):
            raise InvalidInput(f"not an SS58 address: {hotkey!r}")
        return next((n for n in neurons if n.hotkey == hotkey), None)

    async def epoch(self, block: int | None = None) -> Epoch:
        answered, value = await self._answered("epoch", {"block": block})
        if answered:
            return value
        self._at(block)
        return self._epoch

    async def hyperparameters(self, block: int | None = None) -> Hyperparameters:
        answered, value = await self._answered("hyperparameters", {"block": block})
        if answered:
            return value
        self._at(block)
        return self._hyperparameters

    async def subnet(self, block: int | None = None) -> Subnet:
        answered, value = await self._answered("subnet", {"block": block})
        if answered:
            return value
        self._at(block)
        return self._subnet

    async def commitment(self, hotkey: str, *, block: int | None = None) -> Commitment | None:
        answered, value = await self._answered("commitment", {"hotkey": hotkey, "block": block})
        if answered:
            return value
        if not _looks_ss58(hotkey):
            raise InvalidInput(f"not an SS58 address: {hotkey!r}")
        self._at(block)
        return next((c for c in self._commitments if c.hotkey == hotkey), None)

    async def commitments(self, block: int | None = None) -> list[Commitment]:
        answered, value = await self._answered("commitments", {"block": block})
        if answered:
            return value
        self._at(block)
        return list(self._commitments)

    async def chain(self) -> Chain:
        answered, value = await self._answered("chain", {})
        return value if answered else self._chain

    # --- the validator's weights and writes

    def _head_ref(self) -> BlockRef:
        return BlockRef(number=self._head.number, hash=self._head.hash)

    def _refused(self, message: str, entries: list[dict[str, Any]]) -> ValidationFailed:
        return ValidationFailed(message, extensions={"entries": entries})

    def _check_entry(self, index: int | None, hotkey: str, weight: float) -> str | None:
        if not _looks_ss58(hotkey):
            return "not an SS58 address"
        if not math.isfinite(weight) or weight < 0:
            return "a weight must be a finite number >= 0"
        if all(n.hotkey != hotkey for n in self._metagraph.neurons):
            return "not registered in the subnet"
        return None

    def _store(self, hotkey: str, weight: float) -> Weight:
        stored = Weight(hotkey=hotkey, weight=weight, updated_at=datetime.now(UTC))
        self._weights[hotkey] = stored
        return stored

    async def weights(self, block: int | None = None) -> EpochWeights:
        answered, value = await self._answered("weights", {"block": block})
        if answered:
            return value
        self._at(block)
        weights = sorted(self._weights.values(), key=lambda w: w.hotkey)
        return EpochWeights(block=self._head_ref(), epoch=self._epoch, weights=weights)

    async def weight_commits(self, last: int = 20) -> list[WeightCommit]:
        answered, value = await self._answered("weight_commits", {"last": last})
        if answered:
            return value
        return list(reversed(self._commits))[:last]

    async def set_weights(
        self, weights: Mapping[str, float] | Iterable[WeightInput]
    ) -> SetWeightsSuccess:
        answered, value = await self._answered("set_weights", {"weights": weights})
        if answered:
            return value
        if isinstance(weights, Mapping):
            entries = [WeightInput(hotkey=str(k), weight=float(v)) for k, v in weights.items()]
        else:
            entries = list(weights)
        invalid: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            reason = self._check_entry(index, entry.hotkey, entry.weight)
            if reason is None and entry.hotkey in seen:
                reason = "the hotkey is given twice"
            seen.add(entry.hotkey)
            if reason is not None:
                invalid.append({"index": index, "hotkey": entry.hotkey, "reason": reason})
        if invalid:
            raise self._refused("some weights are invalid; nothing was written", invalid)
        for entry in entries:
            self._store(entry.hotkey, entry.weight)
        return SetWeightsSuccess(epoch=self._epoch, count=len(entries))

    async def set_weight(self, hotkey: str, weight: float) -> WeightSuccess:
        answered, value = await self._answered("set_weight", {"hotkey": hotkey, "weight": weight})
        if answered:
            return value
        reason = self._check_entry(None, hotkey, weight)
        if reason is not None:
            raise self._refused(reason, [{"index": None, "hotkey": hotkey, "reason": reason}])
        return WeightSuccess(epoch=self._epoch, weight=self._store(hotkey, weight))

    async def update_weight(self, hotkey: str, delta: float) -> WeightSuccess:
        answered, value = await self._answered("update_weight", {"hotkey": hotkey, "delta": delta})
        if answered:
            return value
        current = self._weights.get(hotkey)
        weight = (0.0 if current is None else current.weight) + delta
        reason = self._check_entry(None, hotkey, weight)
        if reason is not None:
            raise self._refused(reason, [{"index": None, "hotkey": hotkey, "reason": reason}])
        return WeightSuccess(epoch=self._epoch, weight=self._store(hotkey, weight))

    async def commit_weights(self) -> WeightCommit:
        answered, value = await self._answered("commit_weights", {})
        if answered:
            return value
        if not self._weights:
            raise CommitRefused(
                "there are no weights to commit", extensions={"reason": "no_weights"}
            )
        now = datetime.now(UTC)
        digest = hashlib.sha256(
            json.dumps(
                {w.hotkey: w.weight for w in self._weights.values()}, sort_keys=True
            ).encode()
        ).hexdigest()
        commit = WeightCommit(
            id=len(self._commits) + 1,
            block=self._head.number,
            epoch=self._epoch.start,
            netuid=self._epoch.netuid,
            mode=WeightCommitMode.COMMIT_REVEAL,
            uid_count=len(self._weights),
            digest="0x" + digest,
            reveal_round=None,
            status=WeightCommitStatus.PENDING,
            error=None,
            created_at=now,
            updated_at=now,
        )
        self._commits.append(commit)
        return commit

    async def set_commitment(
        self, data: str | bytes, *, encoding: CommitmentEncoding | str | None = None
    ) -> SetCommitmentSuccess:
        answered, value = await self._answered(
            "set_commitment", {"data": data, "encoding": encoding}
        )
        if answered:
            return value
        if isinstance(data, str) and str(encoding or "TEXT") == "HEX":
            raw = bytes.fromhex(data.removeprefix("0x"))
        else:
            raw = data if isinstance(data, bytes) else data.encode()
        if len(raw) > 128:
            reason = "at most 128 bytes"
            raise self._refused(reason, [{"index": None, "hotkey": self.hotkey, "reason": reason}])
        try:
            text: str | None = raw.decode()
        except UnicodeDecodeError:
            text = None
        commitment = Commitment(
            block=self._head_ref(),
            hotkey=self.hotkey,
            committed_at=self._head.number,
            data="0x" + raw.hex(),
            text=text,
        )
        self._commitments = [c for c in self._commitments if c.hotkey != self.hotkey]
        self._commitments.append(commitment)
        return SetCommitmentSuccess(block=self._head_ref(), commitment=commitment)

    async def set_hyperparameter(self, name: str, value: Any) -> SetHyperparameterSuccess:
        answered, result = await self._answered(
            "set_hyperparameter", {"name": name, "value": value}
        )
        if answered:
            return result
        field = name.removeprefix("sudo_set_")
        if field not in Hyperparameters.model_fields or field == "block":
            reason = f"no hyperparameter {name!r}"
            raise self._refused(reason, [{"index": None, "hotkey": None, "reason": reason}])
        self._hyperparameters = self._hyperparameters.model_copy(update={field: value})
        return SetHyperparameterSuccess(
            block=self._head_ref(),
            call=f"sudo_set_{field}",
            value=value,
            hyperparameters=self._hyperparameters,
        )

    async def subscribe_epochs(self) -> AsyncGenerator[Epoch]:
        """Not faked: raises NotImplementedError (or what `fail` gave)."""
        self.calls.append(Call("subscribe_epochs", {}))
        if "subscribe_epochs" in self._failures:
            raise self._failures["subscribe_epochs"]
        raise NotImplementedError("the fake does not stream epochs")
        yield self._epoch  # an async generator, like the client's

    async def subscribe_weight_commits(self) -> AsyncGenerator[WeightCommit]:
        """Not faked: raises NotImplementedError (or what `fail` gave)."""
        self.calls.append(Call("subscribe_weight_commits", {}))
        if "subscribe_weight_commits" in self._failures:
            raise self._failures["subscribe_weight_commits"]
        raise NotImplementedError("the fake does not stream weight commits")
        yield  # an async generator, like the client's

    async def subscribe_blocks(
        self, from_block: int | None = None, *, max_reconnects: int | None = None
    ) -> AsyncGenerator[Block]:
        """The fake's blocks from `from_block` (the next produced one when None), then each
        block `produce_blocks` makes, as it makes it."""
        self.calls.append(
            Call("subscribe_blocks", {"from_block": from_block, "max_reconnects": max_reconnects})
        )
        if "subscribe_blocks" in self._failures:
            raise self._failures["subscribe_blocks"]
        number = self._head.number + 1 if from_block is None else from_block
        self._at(max(number - 1, 0))
        while True:
            while number <= self._head.number:
                if number in self._blocks:
                    yield self._blocks[number]
                number += 1
            self._new_block.clear()
            await self._new_block.wait()


def _keeps(condition: NeuronFilter, neuron: Neuron) -> bool:
    checks: list[Callable[[], bool]] = [
        lambda: condition.active is None or neuron.active == condition.active,
        lambda: (
            condition.validator_permit is None
            or neuron.validator_permit == condition.validator_permit
        ),
        lambda: condition.uids is None or neuron.uid in condition.uids,
        lambda: condition.hotkeys is None or neuron.hotkey in condition.hotkeys,
        lambda: condition.coldkeys is None or neuron.coldkey in condition.coldkeys,
        lambda: condition.min_stake is None or neuron.stake >= condition.min_stake,
    ]
    return all(check() for check in checks)
