"""`PylonClient`: the async client's API, blocking, for plain scripts.

It runs the async client on its own event loop. Called from a running event loop (a coroutine,
a Jupyter cell) it raises `SyncClientInEventLoop` instead of blocking that loop: use
`AsyncPylonClient` there, or call the blocking client from a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Generator,
    Mapping,
)
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar, Unpack, overload

from .api import NeuronQuery
from .client import AsyncPylonClient, ClientOptions
from .errors import SyncClientInEventLoop
from .models import Block, Epoch, Neuron, NeuronFilter, NeuronOrder, WeightCommit
from .partial import Chosen, FieldNames, NeuronField, PartialNeuron

P = ParamSpec("P")
T = TypeVar("T")


def _blocking(
    method: Callable[Concatenate[AsyncPylonClient, P], Awaitable[T]],
) -> Callable[Concatenate[PylonClient, P], T]:
    """The blocking form of an `AsyncPylonClient` method."""

    name = method.__name__

    def call(self: PylonClient, *args: P.args, **kwargs: P.kwargs) -> T:
        async def run() -> T:
            # By name, not `method(self.aio, ...)`: `aio` may be a fake with the same API.
            return await getattr(self.aio, name)(*args, **kwargs)

        return self._run(run())

    call.__name__ = method.__name__
    call.__qualname__ = f"PylonClient.{method.__name__}"
    call.__doc__ = method.__doc__
    return call


class PylonClient:
    """The blocking client: the same methods and arguments as `AsyncPylonClient`."""

    def __init__(
        self, url: str, token: str | None = None, **options: Unpack[ClientOptions]
    ) -> None:
        self.aio = AsyncPylonClient(url, token, **options)
        self._runner: asyncio.Runner | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.run(self.aio.close())
            runner.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coroutine.close()
            raise SyncClientInEventLoop(
                "PylonClient blocks, and this thread runs an event loop: use AsyncPylonClient "
                "here (await client.head()), or call PylonClient from a thread "
                "(await asyncio.to_thread(client.head))"
            )
        # One loop for the client's life, so its HTTP connections are reused; one call at a time.
        with self._lock:
            if self._runner is None:
                self._runner = asyncio.Runner()
            return self._runner.run(coroutine)

    @property
    def attempts(self) -> int:
        return self.aio.attempts

    execute = _blocking(AsyncPylonClient.execute)
    head = _blocking(AsyncPylonClient.head)
    block = _blocking(AsyncPylonClient.block)
    metagraph = _blocking(AsyncPylonClient.metagraph)
    neuron = _blocking(AsyncPylonClient.neuron)
    epoch = _blocking(AsyncPylonClient.epoch)
    hyperparameters = _blocking(AsyncPylonClient.hyperparameters)
    subnet = _blocking(AsyncPylonClient.subnet)
    commitment = _blocking(AsyncPylonClient.commitment)
    commitments = _blocking(AsyncPylonClient.commitments)
    chain = _blocking(AsyncPylonClient.chain)
    weights = _blocking(AsyncPylonClient.weights)
    weight_commits = _blocking(AsyncPylonClient.weight_commits)
    set_weights = _blocking(AsyncPylonClient.set_weights)
    clear_weights = _blocking(AsyncPylonClient.clear_weights)
    delete_weight = _blocking(AsyncPylonClient.delete_weight)
    set_weight = _blocking(AsyncPylonClient.set_weight)
    update_weight = _blocking(AsyncPylonClient.update_weight)
    commit_weights = _blocking(AsyncPylonClient.commit_weights)
    set_commitment = _blocking(AsyncPylonClient.set_commitment)
    set_hyperparameter = _blocking(AsyncPylonClient.set_hyperparameter)
    neuron_details = _blocking(AsyncPylonClient.neuron_details)
    chain_weights = _blocking(AsyncPylonClient.chain_weights)
    bonds = _blocking(AsyncPylonClient.bonds)
    pending_weight_commits = _blocking(AsyncPylonClient.pending_weight_commits)
    revealed_commitments = _blocking(AsyncPylonClient.revealed_commitments)
    extrinsics = _blocking(AsyncPylonClient.extrinsics)
    events = _blocking(AsyncPylonClient.events)
    neuron_page = _blocking(AsyncPylonClient.neuron_page)
    subnets = _blocking(AsyncPylonClient.subnets)
    history = _blocking(AsyncPylonClient.history)

    @overload
    def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron]: ...

    @overload
    def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: FieldNames[Chosen],
        **query: Unpack[NeuronQuery],
    ) -> list[PartialNeuron[Chosen]]: ...

    @overload
    def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: Collection[NeuronField],
        **query: Unpack[NeuronQuery],
    ) -> list[PartialNeuron[NeuronField]]: ...

    def neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        fields: Collection[NeuronField] | None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron] | list[PartialNeuron[Any]]:
        """The neurons of `metagraph(...)`, all fields or those of `fields` (see the async
        client)."""
        return self._run(self.aio.neurons(block, netuid=netuid, fields=fields, **query))

    def iter_neurons(
        self,
        block: int | None = None,
        *,
        netuid: int | None = None,
        where: NeuronFilter | Mapping[str, Any] | None = None,
        order_by: NeuronOrder | Mapping[str, Any] | None = None,
        page_size: int | None = None,
    ) -> Generator[Neuron]:
        """Every neuron the filter keeps, in order, page by page, all at one block (see the
        async client)."""
        return self._iterate(
            self.aio.iter_neurons(
                block, netuid=netuid, where=where, order_by=order_by, page_size=page_size
            )
        )

    def subscribe_blocks(
        self, from_block: int | None = None, *, max_reconnects: int | None = None
    ) -> Generator[Block]:
        """Every block from `from_block`, each once and in order (see the async client)."""
        return self._iterate(self.aio.subscribe_blocks(from_block, max_reconnects=max_reconnects))

    def subscribe_epochs(self, *, netuid: int | None = None) -> Generator[Epoch]:
        """Each epoch of subnet `netuid` as the chain enters it (see the async client)."""
        return self._iterate(self.aio.subscribe_epochs(netuid=netuid))

    def subscribe_weight_commits(
        self, from_id: int | None = None, *, max_reconnects: int | None = None
    ) -> Generator[WeightCommit]:
        """Each move of the weight commit attempts from `from_id` (see the async client)."""
        return self._iterate(
            self.aio.subscribe_weight_commits(from_id, max_reconnects=max_reconnects)
        )

    def _iterate(self, stream: AsyncGenerator[T]) -> Generator[T]:
        async def next_item() -> T:
            return await anext(stream)

        try:
            while True:
                try:
                    yield self._run(next_item())
                except StopAsyncIteration:
                    return
        finally:
            if self._runner is not None:
                self._runner.run(stream.aclose())
