"""A fake pylon-gql client for validators' tests: the client's API, answered from canned data.

    fake = FakeAsyncPylonClient()                      # the built-in sample (subnets 1 and 2)
    fake = FakeAsyncPylonClient(block_time=None)       # blocks only when the test makes them
    fake = FakeAsyncPylonClient("tests/metagraph.json")  # or your own JSON (see `sample_data`)
    fake.answer("epoch", my_epoch)                     # a value, or a function of the arguments
    fake.fail("head", Unavailable("node down"))        # make a method raise
    ...
    assert fake.calls_to("neuron") == [{"uid": 3, "hotkey": None, "block": None, "netuid": None}]

It judges its arguments by the server's rules (`pylon_gql_client.rules`: a block past the head
is `BlockInFuture`, a uid outside the subnet `InvalidInput`, a negative weight
`ValidationFailed`, a NaN one the GraphQL error the server gives), filters, orders and pages
neurons like it, and keeps what is written: weights, commits (finalized in the next block the
fake produces), the commitment and hyperparameters (each landing in a new block).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncGenerator, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Unpack

from ..api import AsyncApi, NeuronQuery
from ..client import AsyncPylonClient
from ..errors import InvalidInput
from ..models import (
    Block,
    Chain,
    ClearWeightsSuccess,
    Commitment,
    CommitmentEncoding,
    CommitWindow,
    DeleteWeightSuccess,
    Epoch,
    EpochWeights,
    Hyperparameters,
    Metagraph,
    Neuron,
    NeuronFilter,
    NeuronOrder,
    NeuronPage,
    PageInfo,
    SetCommitmentSuccess,
    SetHyperparameterSuccess,
    SetWeightsMode,
    SetWeightsSuccess,
    Subnet,
    WeightCommit,
    WeightInput,
    WeightSuccess,
)
from ..paging import NeuronPaging
from ..partial import PartialNeuron
from ..subnet_models import SubnetFilter, SubnetInfo, SubnetOrder
from . import extrinsics, subnets
from .chain import FakeChain
from .refusals import bad_input, check_account, check_ints, variable_refused
from .sample import sample_data
from .script import Call, Script, scripted, scripted_as
from .weights import FakeWeights

__all__ = ["Call", "FakeAsyncPylonClient", "sample_data"]


def predicted_epoch(canned: Epoch, number: int, *, then: bool = True) -> Epoch:
    """The epoch containing block `number` (past the head) at the canned epoch's tempo, as the
    server predicts it (subtensor's epoch formula, the canned commit window's offsets); `then`:
    with the epoch after it as `next`, as `epoch()` asks."""
    netuid, tempo = canned.netuid, canned.tempo
    until = tempo - (number + netuid + 1) % (tempo + 1)
    start = number if until == 0 else number + until - (tempo + 1)
    end = start + tempo
    window_start = start + (canned.commit_window.start - canned.start)
    window_end = end - (canned.end - canned.commit_window.end)
    return canned.model_copy(
        update={
            "index": (start + netuid + 2) // (tempo + 1),
            "start": start,
            "end": end,
            "blocks_remaining": end + 1 - number,
            "commit_window": CommitWindow(
                start=window_start, end=window_end, open=window_start <= number <= window_end
            ),
            "for_block": number,
            "predicted": True,
            "next": predicted_epoch(canned, end + 1, then=False) if then else None,
        }
    )


class FakeAsyncPylonClient(AsyncApi):
    """`AsyncPylonClient`'s API over canned data; records every call in `calls`."""

    #: Most neurons one list returns (the server's PYLON_MAX_PAGE_SIZE).
    max_page_size = 4096
    #: Most points one `history` series holds (the server's PYLON_MAX_HISTORY_POINTS).
    max_history_points = 500

    def __init__(
        self, data: Mapping[str, Any] | str | Path | None = None, *, block_time: float | None = 0.1
    ) -> None:
        canned = sample_data()
        if isinstance(data, str | Path):
            canned.update(json.loads(Path(data).read_text(encoding="utf-8")))
        elif data is not None:
            canned.update(data)
        self.url = "fake://pylon-gql"
        #: Seconds between the blocks the fake makes while a block stream waits for one (its
        #: chain moves as a test's time goes by); None: only `produce_blocks` and writes make
        #: blocks.
        self.block_time = block_time
        self.script = Script()
        self._chain = FakeChain(canned)
        self._validator = FakeWeights(self._chain)
        neurons = self._chain.metagraph.neurons
        #: The hotkey the fake validator signs with (its commitment's), by default uid 0's.
        self.hotkey = neurons[0].hotkey if neurons else ""

    # --- what a test controls

    @property
    def calls(self) -> list[Call]:
        return self.script.calls

    def answer(self, method: str, value: Any) -> None:
        """Make `method` return `value`, or `value(**arguments)` when it is callable."""
        self._check_method(method)
        self.script.answer(method, value)

    def fail(self, method: str, error: BaseException) -> None:
        """Make `method` raise `error` (a `PylonError` subclass, say) until `reset(method)`."""
        self._check_method(method)
        self.script.fail(method, error)

    def reset(self, method: str | None = None) -> None:
        """Back to the canned answers (for one method, or all), calls kept."""
        self.script.reset(method)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method`, oldest first."""
        return self.script.calls_to(method)

    def set_mechanism_count(self, count: int) -> None:
        """The subnet's mechanisms from now on (1 by default, as subnet 1's): the weight
        writes take `mechanism` 0 to count - 1, as the server does."""
        self._validator.mechanism_count = count

    def produce_blocks(self, count: int = 1) -> Block:
        """Move the fake head `count` blocks on (12 s apart); the new head."""
        return self._chain.produce_blocks(count)

    @classmethod
    def _check_method(cls, method: str) -> None:
        public = not method.startswith("_") and hasattr(AsyncPylonClient, method)
        if not (public and inspect.isfunction(getattr(cls, method, None))):
            raise AttributeError(f"the client has no method {method!r}")

    # --- the client's API

    async def close(self) -> None:
        pass

    @property
    def attempts(self) -> int:
        return len(self.calls)

    @scripted
    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the client's signature)
    ) -> dict[str, Any]:
        """Only what a test gave with `answer("execute", ...)`: the fake runs no GraphQL."""
        raise NotImplementedError('the fake runs no documents: fake.answer("execute", ...)')

    @scripted
    async def head(self) -> Block:
        return self._chain.head

    @scripted
    async def block(self, number: int | None = None, *, hash: str | None = None) -> Block | None:
        return self._chain.block(number, hash)

    @scripted_as("metagraph")
    async def _metagraph(
        self, block: int | None, netuid: int | None, **query: Unpack[NeuronQuery]
    ) -> Metagraph:
        ref, _ = self._chain.at(block, netuid)
        neurons = self._chain.neurons(self.max_page_size, ref, netuid=netuid, **query)
        return self._chain.metagraph_at(ref, netuid).model_copy(update={"neurons": neurons})

    @scripted_as("neurons")
    async def _neurons(
        self,
        block: int | None,
        netuid: int | None,
        fields: Collection[str] | None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron] | list[PartialNeuron[Any]]:
        ref, _ = self._chain.at(block, netuid)
        neurons = self._chain.neurons(self.max_page_size, ref, netuid=netuid, **query)
        if fields is None:
            return neurons
        return [PartialNeuron.of(n, fields) for n in neurons]

    @scripted
    async def neuron(
        self,
        uid: int | None = None,
        *,
        hotkey: str | None = None,
        block: int | None = None,
        netuid: int | None = None,
    ) -> Neuron | None:
        check_ints(uid=uid, block=block)
        if (uid is None) == (hotkey is None):
            raise bad_input("give exactly one of `uid` or `hotkey`")
        if hotkey is not None:
            check_account(hotkey, "hotkey")
        ref, _ = self._chain.at(block, netuid)
        metagraph = self._chain.metagraph_at(ref, netuid)
        ref, neurons = ref or metagraph.block, metagraph.neurons
        if hotkey is not None:
            return next((n for n in neurons if n.hotkey == hotkey), None)
        found = next((n for n in neurons if n.uid == uid), None)
        if found is None:
            raise bad_input(
                f"uid {uid} is out of range: subnet {metagraph.netuid} has "
                f"{len(neurons)} neurons at block {ref.number} (uids 0 to {len(neurons) - 1})"
            )
        return found

    @scripted
    async def neuron_page(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
        after: str | None = None,
        offset: int = 0,
    ) -> NeuronPage:
        check_ints(block=block, netuid=netuid, first=first, offset=offset)
        ref, _ = self._chain.at(block, netuid)
        metagraph = self._chain.metagraph_at(ref, netuid)
        number = metagraph.block.number
        size = self.max_page_size if first is None else first
        # the whole filtered list (its checks as the server's), then the page of it
        kept = self._chain.neurons(
            max(len(metagraph.neurons), 1),
            ref,
            netuid=netuid,
            where=where,
            order_by=order_by,
            first=None,
        )
        # checks them
        self._chain.neurons(self.max_page_size, ref, netuid=netuid, first=first, offset=offset)
        # a cursor of one list: its subnet, block, filter and order
        listed = (metagraph.netuid, repr(where), repr(order_by))
        key = f"{number}:{hash(listed) & 0xFFFFFF:x}"
        start = offset
        if after is not None:
            position = after.removeprefix(f"fake:{key}:")
            if position == after or not position.isdigit():
                raise bad_input(
                    f"`after` is not a cursor of this list at block {number}: {after!r}"
                )
            start += int(position) + 1
        page = kept[start : start + size]
        end = start + len(page)
        return NeuronPage(
            total_count=len(kept),
            neurons=page,
            page_info=PageInfo(
                end_cursor=f"fake:{key}:{end - 1}" if page else None,
                has_next_page=end < len(kept),
            ),
        )

    iter_neurons = NeuronPaging.iter_neurons

    @scripted
    async def epoch(self, block: int | None = None, *, netuid: int | None = None) -> Epoch:
        head = self._chain.head.number
        if block is not None and not isinstance(block, bool) and block > head:
            check_ints(block=block)
            subnets.check_netuid(netuid)
            canned = self._chain.served(netuid, head).epoch  # the head's tempo
            predicted = predicted_epoch(canned, block)
            assert predicted.next is not None
            if predicted.next.end < 2**31:  # `next`'s too, which `epoch()` asks for
                return predicted
            # Its end past a GraphQL Int: the server refuses it as any read there.
        return self._chain.at(block, netuid)[1].epoch

    @scripted
    async def hyperparameters(
        self, block: int | None = None, *, netuid: int | None = None
    ) -> Hyperparameters:
        ref, served = self._chain.at(block, netuid)
        found = served.hyperparameters
        return found if ref is None else found.model_copy(update={"block": ref})

    @scripted
    async def subnet(self, block: int | None = None, *, netuid: int | None = None) -> Subnet:
        ref, served = self._chain.at(block, netuid)
        return served.subnet if ref is None else served.subnet.model_copy(update={"block": ref})

    @scripted
    async def commitment(
        self, hotkey: str, *, block: int | None = None, netuid: int | None = None
    ) -> Commitment | None:
        check_account(hotkey, "hotkey")
        ref, served = self._chain.at(block, netuid)
        found = next((c for c in served.commitments if c.hotkey == hotkey), None)
        return found if found is None or ref is None else found.model_copy(update={"block": ref})

    @scripted
    async def commitments(
        self, block: int | None = None, *, netuid: int | None = None
    ) -> list[Commitment]:
        ref, served = self._chain.at(block, netuid)
        found = served.commitments
        return list(found) if ref is None else [c.model_copy(update={"block": ref}) for c in found]

    @scripted
    async def subnets(
        self,
        block: int | None = None,
        *,
        where: SubnetFilter | Mapping[str, Any] | None = None,
        order_by: SubnetOrder | Mapping[str, Any] | None = None,
    ) -> list[SubnetInfo]:
        return subnets.subnets(self._chain, block, where, order_by)

    @scripted
    async def history(
        self,
        from_block: int,
        to_block: int,
        *,
        step: int = 1,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        first: int | None = None,
    ) -> list[Metagraph]:
        asked = subnets.HistoryQuery(from_block, to_block, step, netuid, where, order_by, first)
        return subnets.history(self._chain, self.max_page_size, self.max_history_points, asked)

    @scripted
    async def chain(self) -> Chain:
        return self._chain.info.model_copy(update={"head": self._chain.head_ref})

    # --- the validator's weights and writes

    @scripted
    async def weights(
        self, block: int | None = None, *, epoch: int | None = None, mechanism: int = 0
    ) -> EpochWeights:
        check_ints(block=block, epoch=epoch)
        if block is not None and epoch is not None:
            raise bad_input("give `block` or `epoch`, not both")
        return self._validator.weights(
            None if epoch is not None else self._chain.resolve(block), epoch, mechanism
        )

    @scripted
    async def weight_commits(self, last: int = 20) -> list[WeightCommit]:
        return self._validator.latest_commits(last)

    @scripted
    async def set_weights(
        self,
        weights: Mapping[str, float] | Iterable[WeightInput],
        *,
        mode: SetWeightsMode | str = SetWeightsMode.REPLACE,
        mechanism: int = 0,
    ) -> SetWeightsSuccess:
        if isinstance(weights, Mapping):
            entries = [(str(hotkey), float(weight)) for hotkey, weight in weights.items()]
        else:
            entries = [(entry.hotkey, entry.weight) for entry in weights]
        if str(mode) not in SetWeightsMode.__members__:
            raise variable_refused(
                "mode", f"Value {str(mode)!r} does not exist in 'SetWeightsMode' enum."
            )
        return self._validator.set_weights(entries, SetWeightsMode(str(mode)), mechanism)

    @scripted
    async def clear_weights(self, *, mechanism: int = 0) -> ClearWeightsSuccess:
        return self._validator.clear(mechanism)

    @scripted
    async def delete_weight(self, hotkey: str, *, mechanism: int = 0) -> DeleteWeightSuccess:
        return self._validator.delete(hotkey, mechanism)

    @scripted
    async def set_weight(self, hotkey: str, weight: float, *, mechanism: int = 0) -> WeightSuccess:
        return self._validator.set_weight(hotkey, weight, mechanism)

    @scripted
    async def update_weight(
        self, hotkey: str, delta: float, *, mechanism: int = 0
    ) -> WeightSuccess:
        return self._validator.update_weight(hotkey, delta, mechanism)

    @scripted
    async def commit_weights(self, *, mechanism: int = 0) -> WeightCommit:
        return self._validator.commit(self.hotkey, mechanism)

    @scripted
    async def set_commitment(
        self, data: str | bytes, *, encoding: CommitmentEncoding | str | None = None
    ) -> SetCommitmentSuccess:
        return extrinsics.set_commitment(self._chain, self.hotkey, data, encoding)

    @scripted
    async def set_hyperparameter(self, name: str, value: Any) -> SetHyperparameterSuccess:
        return extrinsics.set_hyperparameter(self._chain, name, value)

    async def subscribe_epochs(self, *, netuid: int | None = None) -> AsyncGenerator[Epoch]:
        """Not faked: raises NotImplementedError (or what `fail` gave), after refusing a
        `netuid` the server refuses."""
        self.script.record("subscribe_epochs", {"netuid": netuid})
        self._chain.at(None, netuid)
        raise NotImplementedError("the fake does not stream epochs")
        yield self._chain.epoch  # an async generator, like the client's

    async def subscribe_weight_commits(
        self, from_id: int | None = None, *, max_reconnects: int | None = None
    ) -> AsyncGenerator[WeightCommit]:
        """Not faked: raises NotImplementedError (or what `fail` gave)."""
        self.script.record("subscribe_weight_commits", {"from_id": from_id})
        raise NotImplementedError("the fake does not stream weight commits")
        yield  # an async generator, like the client's

    async def subscribe_blocks(
        self, from_block: int | None = None, *, max_reconnects: int | None = None
    ) -> AsyncGenerator[Block]:
        """The fake's blocks from `from_block` (the next produced one when None), then each
        block `produce_blocks` (or a write) makes, as it makes it; while the stream waits, the
        fake makes one every `block_time` seconds."""
        arguments = {"from_block": from_block, "max_reconnects": max_reconnects}
        self.script.record("subscribe_blocks", arguments)
        if from_block is not None and from_block < 0:  # the client's own check
            raise InvalidInput(f"from_block must be 0 or more, got {from_block}")
        async for block in self._chain.blocks_from(from_block, self.block_time):
            yield block
