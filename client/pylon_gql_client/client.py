"""`AsyncPylonClient`: typed methods for every query and mutation, and a resumable block stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncGenerator, Collection, Iterable, Mapping
from typing import Any, TypedDict, Unpack

import websockets.exceptions
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from . import documents
from .api import AsyncApi, NeuronQuery
from .commits_seen import CommitsSeen
from .errors import (
    RESULT_ERRORS,
    RETRYABLE,
    BlockInFuture,
    InvalidInput,
    NotFound,
    Unavailable,
    error_from_graphql,
    error_from_result,
)
from .full_reads import FullMetagraphReads, _input
from .models import (
    Block,
    Chain,
    ClearWeightsSuccess,
    Commitment,
    CommitmentEncoding,
    DeleteWeightSuccess,
    Epoch,
    EpochWeights,
    Hyperparameters,
    Metagraph,
    Neuron,
    NeuronFilter,
    NeuronOrder,
    SetCommitmentSuccess,
    SetHyperparameterSuccess,
    SetWeightsMode,
    SetWeightsSuccess,
    Subnet,
    WeightCommit,
    WeightInput,
    WeightSuccess,
)
from .paging import NeuronPaging
from .partial import PartialNeuron
from .subnets import SubnetReads
from .transport import HttpCaller, auth_headers, bare_token, error_from_transport, websocket_url

log = logging.getLogger("pylon_gql_client")

#: graphql-transport-ws, chosen explicitly: gql would offer the legacy `graphql-ws` first.
GRAPHQL_TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL


class ClientOptions(TypedDict, total=False):
    """`AsyncPylonClient`'s options, which `PylonClient` passes on."""

    timeout: float
    retries: int
    backoff: float
    max_backoff: float
    ping_interval: float | None


class AsyncPylonClient(FullMetagraphReads, NeuronPaging, SubnetReads, AsyncApi):
    """A client of one pylon-gql server.

    `url` is the server (`http://127.0.0.1:8000`, `/graphql` is added when there is no path);
    `token` is sent as `Authorization: Bearer` (given with its `Bearer ` prefix, that is
    dropped). Each call takes at most `timeout` seconds, its
    retries included; connection errors, HTTP 502/503/504 and `UNAVAILABLE` are retried up to
    `retries` times with exponential backoff, other errors never.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        ping_interval: float | None = 20.0,
    ) -> None:
        self.url = url
        self.token = bare_token(token)
        self.ping_interval = ping_interval
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._http = HttpCaller(
            url,
            token=self.token,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
        )

    async def close(self) -> None:
        await self._http.close()

    @property
    def attempts(self) -> int:
        """HTTP requests sent so far (each retry counts)."""
        return self._http.attempts

    # --- custom documents

    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (a per-call budget, retries included)
    ) -> dict[str, Any]:
        """Any document of yours; returns the answer's `data` as JSON (BigInt as strings).

        Raises a `PylonError` subclass by the first error's code; `timeout` overrides the
        client's for this call.
        """
        return await self._http.call(
            document, variables, operation_name=operation_name, timeout=timeout
        )

    async def _query(self, name: str, variables: Mapping[str, Any] | None = None) -> Any:
        data = await self._http.call(documents.document(name), variables)
        [value] = data.values()
        return value

    # --- queries

    async def head(self) -> Block:
        """The latest finalized block the server has seen."""
        return Block.model_validate(await self._query("head"))

    async def block(self, number: int | None = None, *, hash: str | None = None) -> Block | None:
        """A block by number or hash (None for an unknown hash); the head when neither."""
        value = await self._query("block", {"number": number, "hash": hash})
        return None if value is None else Block.model_validate(value)

    async def _metagraph(
        self, block: int | None, netuid: int | None, **query: Unpack[NeuronQuery]
    ) -> Metagraph:
        value = await self._query("metagraph", _neuron_list_variables(block, netuid, **query))
        return Metagraph.model_validate(value)

    async def _neurons(
        self,
        block: int | None,
        netuid: int | None,
        fields: Collection[str] | None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron] | list[PartialNeuron[Any]]:
        variables = _neuron_list_variables(block, netuid, **query)
        if fields is None:
            data = await self._http.call(documents.document("metagraph"), variables)
            return [Neuron.model_validate(n) for n in data["metagraph"]["neurons"]]
        document = documents.document_with_neuron_fields("metagraph", fields)
        data = await self._http.call(document, variables)
        return [PartialNeuron(n, fields) for n in data["metagraph"]["neurons"]]

    # Every read of one subnet takes `netuid`: the server's subnet (PYLON_NETUID) when None, a
    # subnet that does not exist at the block `NotFound`.

    async def neuron(
        self,
        uid: int | None = None,
        *,
        hotkey: str | None = None,
        block: int | None = None,
        netuid: int | None = None,
    ) -> Neuron | None:
        """One neuron by uid or hotkey (give one); None for a hotkey not in the subnet."""
        variables = {"uid": uid, "hotkey": hotkey, "block": block, "netuid": netuid}
        value = await self._query("neuron", variables)
        return None if value is None else Neuron.model_validate(value)

    async def epoch(self, block: int | None = None, *, netuid: int | None = None) -> Epoch:
        """The epoch containing `block` (the head when None) and the commit window in it."""
        return Epoch.model_validate(await self._query("epoch", {"block": block, "netuid": netuid}))

    async def hyperparameters(
        self, block: int | None = None, *, netuid: int | None = None
    ) -> Hyperparameters:
        variables = {"block": block, "netuid": netuid}
        return Hyperparameters.model_validate(await self._query("hyperparameters", variables))

    async def subnet(self, block: int | None = None, *, netuid: int | None = None) -> Subnet:
        return Subnet.model_validate(
            await self._query("subnet", {"block": block, "netuid": netuid})
        )

    async def commitment(
        self, hotkey: str, *, block: int | None = None, netuid: int | None = None
    ) -> Commitment | None:
        """What `hotkey` has committed; None when it has committed nothing."""
        variables = {"hotkey": hotkey, "block": block, "netuid": netuid}
        value = await self._query("commitment", variables)
        return None if value is None else Commitment.model_validate(value)

    async def commitments(
        self, block: int | None = None, *, netuid: int | None = None
    ) -> list[Commitment]:
        values = await self._query("commitments", {"block": block, "netuid": netuid})
        return [Commitment.model_validate(value) for value in values]

    async def chain(self) -> Chain:
        """The chain the server follows, and how fresh its head is."""
        return Chain.model_validate(await self._query("chain"))

    # --- the validator's weights (queries)

    async def weights(
        self, block: int | None = None, *, epoch: int | None = None, mechanism: int = 0
    ) -> EpochWeights:
        """The weights the validator wrote for the epoch containing `block` (the head's when
        neither is given), or for the one starting at block `epoch` (its `Epoch.start`,
        answered from the server's database without the chain); of the subnet's `mechanism`
        (0: its own weights)."""
        variables = {"block": block, "epoch": epoch, "mechanism": mechanism}
        value = await self._query("weights", variables)
        return EpochWeights.model_validate(value)

    async def weight_commits(self, last: int = 20) -> list[WeightCommit]:
        """The server's latest attempts to commit the weights, newest first."""
        values = await self._query("weight_commits", {"last": last})
        return [WeightCommit.model_validate(value) for value in values]

    # --- writes (a token of the validator role; the owner role for set_hyperparameter)

    async def _mutate(
        self, name: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True
    ) -> dict[str, Any]:
        # A write that is not idempotent is never sent twice: a retry after a lost answer
        # could apply it twice.
        data = await self._http.call(
            documents.document(name), variables, retries=None if idempotent else 0
        )
        [result] = data.values()
        if result.get("__typename") in RESULT_ERRORS:
            raise error_from_result(result)
        return {key: value for key, value in result.items() if key != "__typename"}

    async def set_weights(
        self,
        weights: Mapping[str, float] | Iterable[WeightInput],
        *,
        mode: SetWeightsMode | str = SetWeightsMode.REPLACE,
        mechanism: int = 0,
    ) -> SetWeightsSuccess:
        """Set the weights of many hotkeys (`{hotkey: weight}`) for the head's epoch, all or
        nothing; `ValidationFailed` names the invalid entries. REPLACE (the default): the
        epoch's weights become exactly these, as bittensor's `set_weights` replaces the
        vector; MERGE: written over the ones there. `mechanism`: the subnet's mechanism they
        are for (0: its own weights; one it lacks is refused with `InvalidInput`)."""
        if isinstance(weights, Mapping):
            entries = [WeightInput(hotkey=str(k), weight=float(v)) for k, v in weights.items()]
        else:
            entries = list(weights)
        variables = {
            "weights": [e.variables() for e in entries],
            "mode": str(mode),
            "mechanism": mechanism,
        }
        return SetWeightsSuccess.model_validate(await self._mutate("set_weights", variables))

    async def clear_weights(self, *, mechanism: int = 0) -> ClearWeightsSuccess:
        """Delete every weight of the head's epoch (of `mechanism`; the server then commits
        nothing of it until weights are written again)."""
        result = await self._mutate("clear_weights", {"mechanism": mechanism})
        return ClearWeightsSuccess.model_validate(result)

    async def delete_weight(self, hotkey: str, *, mechanism: int = 0) -> DeleteWeightSuccess:
        """Delete one hotkey's weight in the head's epoch (of `mechanism`), registered or not
        (`deleted` is None when it had none)."""
        result = await self._mutate("delete_weight", {"hotkey": hotkey, "mechanism": mechanism})
        return DeleteWeightSuccess.model_validate(result)

    async def set_weight(self, hotkey: str, weight: float, *, mechanism: int = 0) -> WeightSuccess:
        """Set the weight of one hotkey for the head's epoch (of `mechanism`)."""
        variables = {"hotkey": hotkey, "weight": weight, "mechanism": mechanism}
        return WeightSuccess.model_validate(await self._mutate("set_weight", variables))

    async def update_weight(
        self, hotkey: str, delta: float, *, mechanism: int = 0
    ) -> WeightSuccess:
        """Add `delta` (may be negative) to one hotkey's weight (of `mechanism`), atomically
        on the server. Never retried: a lost answer could otherwise add `delta` twice."""
        variables = {"hotkey": hotkey, "delta": delta, "mechanism": mechanism}
        result = await self._mutate("update_weight", variables, idempotent=False)
        return WeightSuccess.model_validate(result)

    async def commit_weights(self, *, mechanism: int = 0) -> WeightCommit:
        """Start committing the weights (of `mechanism`) now; the attempt, PENDING
        (`CommitRefused` when none was started). Never retried."""
        result = await self._mutate("commit_weights", {"mechanism": mechanism}, idempotent=False)
        return WeightCommit.model_validate(result["commit"])

    async def set_commitment(
        self, data: str | bytes, *, encoding: CommitmentEncoding | str | None = None
    ) -> SetCommitmentSuccess:
        """Set the validator hotkey's commitment (at most 128 bytes): text, or bytes (sent as
        hex); waits until finalized."""
        if isinstance(data, bytes):
            data, encoding = "0x" + data.hex(), encoding or CommitmentEncoding.HEX
        variables = {"data": data, "encoding": str(encoding or CommitmentEncoding.TEXT)}
        result = await self._mutate("set_commitment", variables)
        return SetCommitmentSuccess.model_validate(result)

    async def set_hyperparameter(self, name: str, value: Any) -> SetHyperparameterSuccess:
        """Set a hyperparameter through `AdminUtils.sudo_set_<name>` (owner role); waits
        until finalized and reads the value back."""
        result = await self._mutate("set_hyperparameter", {"name": name, "value": value})
        return SetHyperparameterSuccess.model_validate(result)

    # --- subscriptions

    async def subscribe_blocks(
        self, from_block: int | None = None, *, max_reconnects: int | None = None
    ) -> AsyncGenerator[Block]:
        """Every finalized block from `from_block` (the next new one when None), each once and
        in order, across disconnects: the stream reconnects with backoff and resumes at the
        block after the last one it yielded. Blocks the stream cannot replay (the server keeps
        PYLON_CACHE_BLOCKS of them) are read over HTTP.

        Gives up with `Unavailable` after `max_reconnects` failed reconnections in a row
        (never, by default); other errors (`from_block` past the head, ...) are raised at once.
        """
        if from_block is not None and from_block < 0:
            raise InvalidInput(f"from_block must be 0 or more, got {from_block}")
        next_number = from_block
        ask_from = from_block
        failures = 0
        while True:
            stream = self._block_stream(ask_from)
            try:
                async with contextlib.aclosing(stream):
                    while True:
                        try:
                            block = await anext(stream)
                        except StopAsyncIteration:
                            raise Unavailable("the server ended the block stream") from None
                        except InvalidInput as error:
                            if ask_from is None or isinstance(error, BlockInFuture):
                                raise
                            # Too far behind for the server to replay: stream new blocks and
                            # read the ones in between over HTTP.
                            log.info(
                                "block %d is too old to replay; reading it over HTTP", ask_from
                            )
                            ask_from = None
                            break
                        failures = 0
                        if next_number is not None and block.number < next_number:
                            continue  # yielded before a reconnection
                        if next_number is not None and block.number > next_number:
                            async for missing in self._blocks_between(next_number, block.number):
                                yield missing
                        yield block
                        next_number = ask_from = block.number + 1
            except RETRYABLE as error:
                failures += 1
                if max_reconnects is not None and failures > max_reconnects:
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** min(failures - 1, 32))
                delay *= 0.5 + random.random() / 2
                log.info(
                    "block stream interrupted (%s); reconnecting in %.2f s from block %s",
                    error,
                    delay,
                    next_number,
                )
                await asyncio.sleep(delay)

    async def subscribe_epochs(self, *, netuid: int | None = None) -> AsyncGenerator[Epoch]:
        """Each epoch of subnet `netuid` (the server's when None) as the chain enters it
        (`newEpoch`). Not resumed: after a disconnect it raises `Unavailable`; read `epoch()`
        and subscribe again."""
        async for data in self._subscription("new_epoch", {"netuid": netuid}):
            yield Epoch.model_validate(data["newEpoch"])

    async def subscribe_weight_commits(
        self, from_id: int | None = None, *, max_reconnects: int | None = None
    ) -> AsyncGenerator[WeightCommit]:
        """Each move of the weight commit attempts (PENDING, IN_BLOCK, then FINALIZED or
        FAILED), of every replica behind the URL; needs the validator role. With `from_id`,
        first every attempt from that id as the server's commit log holds it now, then the
        live moves. Per attempt, statuses only move forward and none comes twice (one that
        moved during a disconnect may show only its latest).

        Resumed across disconnects, to whichever replica answers: the stream reconnects with
        backoff and asks the log from the oldest attempt it has not seen end, so nothing is
        lost once it has yielded one (pass `from_id` to lose nothing before that either).
        Gives up with `Unavailable` after `max_reconnects` failed reconnections in a row
        (never, by default); other errors (no validator role, ...) are raised at once.
        """
        if from_id is not None and from_id < 0:
            raise InvalidInput(f"from_id must be 0 or more, got {from_id}")
        seen = CommitsSeen(from_id)
        failures = 0
        while True:
            stream = self._commit_stream(seen.resume_from)
            try:
                async with contextlib.aclosing(stream):
                    async for commit in stream:
                        failures = 0
                        if seen.fresh(commit):
                            yield commit
                raise Unavailable("the server ended the weight commit stream")
            except RETRYABLE as error:
                failures += 1
                if max_reconnects is not None and failures > max_reconnects:
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** min(failures - 1, 32))
                delay *= 0.5 + random.random() / 2
                log.info(
                    "weight commit stream interrupted (%s); reconnecting in %.2f s from id %s",
                    error,
                    delay,
                    seen.resume_from,
                )
                await asyncio.sleep(delay)

    async def _commit_stream(self, from_id: int | None) -> AsyncGenerator[WeightCommit]:
        async for data in self._subscription("weight_commit_updates", {"fromId": from_id}):
            yield WeightCommit.model_validate(data["weightCommit"])

    async def _blocks_between(self, start: int, end: int) -> AsyncGenerator[Block]:
        """Blocks `start` .. `end - 1`, over HTTP (a gap in the stream)."""
        for number in range(start, end):
            block = await self.block(number)
            if block is None:
                raise NotFound(f"block {number} is missing from the server")
            yield block

    async def _block_stream(self, from_block: int | None) -> AsyncGenerator[Block]:
        async for data in self._subscription("new_block", {"fromBlock": from_block}):
            yield Block.model_validate(data["newBlock"])

    async def _subscription(
        self, name: str, variables: Mapping[str, Any] | None = None
    ) -> AsyncGenerator[dict[str, Any]]:
        """One websocket connection's worth of a subscription; connection failures are
        `Unavailable`, error messages by their code."""
        transport = WebsocketsTransport(
            url=websocket_url(self.url),
            headers=auth_headers(self.token),
            init_payload={"authorization": f"Bearer {self.token}"} if self.token else None,
            subprotocols=[GRAPHQL_TRANSPORT_WS],
            ping_interval=self.ping_interval,
            connect_timeout=10,
            ack_timeout=10,
            close_timeout=2,
        )
        client = Client(transport=transport, execute_timeout=None)
        request = GraphQLRequest(documents.document(name), variable_values=dict(variables or {}))
        try:
            async with client as session:
                async for data in session.subscribe(request):
                    yield data
        except TransportQueryError as error:
            raise error_from_graphql(error.errors or [{"message": str(error)}]) from error
        except (TransportError, OSError, TimeoutError) as error:
            raise error_from_transport(error) from error
        except websockets.exceptions.WebSocketException as error:
            raise Unavailable(f"websocket: {error}") from error


def _neuron_list_variables(
    block: int | None, netuid: int | None, **query: Unpack[NeuronQuery]
) -> dict[str, Any]:
    return {
        "block": block,
        "netuid": netuid,
        "where": _input(query.get("where"), NeuronFilter),
        "orderBy": _input(query.get("order_by"), NeuronOrder),
        "first": query.get("first"),
        "offset": query.get("offset", 0),
    }
