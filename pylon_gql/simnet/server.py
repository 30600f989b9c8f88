"""The simnet's websocket JSON-RPC server: `Simnet` assembles the world, the node and the
write path, produces blocks, and answers each connection's requests (with faults when set).

Subscriptions live in `subscriptions.py`, the control methods in `control.py`, one client's
outbox in `connection.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import types
from typing import Any, TypeVar

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve

from .connection import Connection
from .control import CONTROL_METHODS, control
from .dispatch import Dispatcher
from .errors import RpcError
from .faults import Faults
from .keys import dev_keys
from .node import Node
from .node.params import normalize_params
from .runtime import get_runtime
from .snapshot import get_snapshot
from .subscriptions import (
    HEAD_SUBSCRIPTIONS,
    HEAD_UNSUBSCRIBE,
    RUNTIME_VERSION_SUBSCRIPTIONS,
    STORAGE_SUBSCRIBE,
    STORAGE_UNSUBSCRIBE,
    SUBSCRIPTION_METHODS,
    UNWATCH,
    WATCH,
    Subscriptions,
)
from .world import World

T = TypeVar("T")

logger = logging.getLogger("pylon_gql.simnet")

# with auto_produce_on_submit: how long after a submission its block is made
AUTO_PRODUCE_DELAY = 0.05


@dataclasses.dataclass
class SimnetConfig:
    """How to run a simnet; docs/simnet.md explains each field (the CLI has one option each)."""

    host: str = "127.0.0.1"
    port: int = 9944
    block_time: float = 12.0
    manual: bool = False
    seed: int = 0
    finality_lag: int = 2
    history: int = 256
    archive: bool = False
    faults: Faults = dataclasses.field(default_factory=Faults)
    synthetic_neurons: int = 256
    # validators (with permits) of subnet 2, uids 0 to this - 1
    synthetic_validators: int = 8
    # uids each validator's seeded weights row gives weight to (its miners, at most)
    weights_per_validator: int = 16
    # Timestamp.Now of the snapshot block; None: the wall clock at start
    start_timestamp_ms: int | None = None
    # produce blocks as soon as a valid extrinsic arrives: its block, then `finality_lag`
    # more so that it is finalized (manual mode or not)
    auto_produce_on_submit: bool = False


class Simnet:
    """A simulated subtensor node on a real websocket. See docs/simnet.md."""

    def __init__(self, config: SimnetConfig | None = None) -> None:
        self.config = config or SimnetConfig()
        self._faults = self.config.faults
        self._rng = random.Random(f"{self.config.seed}:faults")
        self._world: World | None = None
        self._node: Node | None = None
        self._subscriptions: Subscriptions | None = None
        self._server: Server | None = None
        self._producer: asyncio.Task[None] | None = None
        self._connections: set[Connection] = set()
        self._requests = 0
        self._port = 0
        self._production_lock = asyncio.Lock()
        self._auto_producer: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Simnet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the simnet is already started")
        config = self.config
        config.faults.validate()
        # loading the metadata takes about a second, once per process: keep the loop free
        runtime = await asyncio.to_thread(get_runtime)
        snapshot = await asyncio.to_thread(get_snapshot, runtime)
        # the world runs transactions through the dispatcher, and never imports it
        self._world = World(
            runtime,
            snapshot,
            apply_transactions=Dispatcher(runtime).apply,
            seed=config.seed,
            block_time=config.block_time,
            finality_lag=config.finality_lag,
            history=config.history,
            archive=config.archive,
            start_timestamp_ms=config.start_timestamp_ms,
            synthetic_neurons=config.synthetic_neurons,
            synthetic_validators=config.synthetic_validators,
            weights_per_validator=config.weights_per_validator,
        )
        self._node = Node(self._world, runtime)
        self._node.extra_methods = [*SUBSCRIPTION_METHODS, *CONTROL_METHODS]
        self._subscriptions = Subscriptions(self._world, self._node)
        self._server = await serve(
            self._serve,
            config.host,
            config.port,
            compression=None,
            max_size=16 * 2**20,
            ping_interval=None,
        )
        socket = next(iter(self._server.sockets))
        self._port = socket.getsockname()[1]
        if not config.manual:
            self._producer = asyncio.create_task(self._produce_forever(), name="simnet-blocks")
        self._log_start()

    async def stop(self) -> None:
        if self._auto_producer is not None:
            self._auto_producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auto_producer
            self._auto_producer = None
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
            self._producer = None
        if self._server is not None:
            # closes every connection with 1001 (going away), as a node shutting down does
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _log_start(self) -> None:
        world = self.world
        logger.info(
            "simnet listening on %s (head #%d %s, finalized #%d, %s blocks%s)",
            self.url,
            world.head_number,
            world.head.hash,
            world.finalized_number,
            ("manual" if self.config.manual else f"every {self.config.block_time:g} s")
            + (", and on submission" if self.config.auto_produce_on_submit else ""),
            ", archive" if self.config.archive else f", {self.config.history} kept",
        )
        for netuid, subnet in sorted(world.head.subnets.items()):
            logger.info(
                "simnet subnet %d %r: %d neurons, tempo %d",
                netuid,
                subnet.name,
                len(subnet.neurons),
                subnet.hyperparameters["tempo"],
            )
        for role, (uri, address) in self.dev_keys.items():
            logger.info("simnet dev key %s: %s %s", role, uri, address)

    # -- the public API -------------------------------------------------------------------------

    @property
    def world(self) -> World:
        return _started(self._world)

    @property
    def node(self) -> Node:
        return _started(self._node)

    @property
    def subscriptions(self) -> Subscriptions:
        return _started(self._subscriptions)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self._port}"

    @property
    def head_number(self) -> int:
        return self.world.head_number

    @property
    def head_hash(self) -> str:
        return self.world.head.hash

    @property
    def finalized_number(self) -> int:
        return self.world.finalized_number

    @property
    def finalized_hash(self) -> str:
        return self.world.finalized_hash

    @property
    def dev_keys(self) -> dict[str, tuple[str, str]]:
        return dev_keys()

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults | None = None, **settings: Any) -> Faults:
        """Replace the fault settings: a Faults, or its fields as keywords (none: all off)."""
        if faults is None:
            faults = Faults.from_json(settings)
        elif settings:
            faults = dataclasses.replace(faults, **settings)
        faults.validate()
        if faults.drop_once:
            for connection in list(self._connections):
                connection.abort()
            faults = dataclasses.replace(faults, drop_once=False)
        self._faults = faults
        self._requests = 0  # drop_every counts from here
        logger.info("simnet faults: %s", faults.as_json() if faults.active else "off")
        return faults

    async def produce_blocks(self, count: int = 1) -> int:
        """Produce `count` blocks now and notify subscribers; return the new head number."""
        if count < 0:
            raise ValueError("count must not be negative")
        world = self.world
        async with self._production_lock:
            for _ in range(count):
                state, finalized = world.produce()
                logger.debug(
                    "simnet block #%d %s (finalized #%d)",
                    state.number,
                    state.hash,
                    world.finalized_number,
                )
                self.subscriptions.notify_block(self._connections, state.header, finalized)
                await asyncio.sleep(0)
        return world.head_number

    async def _produce_forever(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            deadline += self.config.block_time
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            try:
                await self.produce_blocks(1)
            except Exception:
                logger.exception("simnet block production failed")

    def _submit_and_watch(self, connection: Connection, params: Any) -> str:
        transaction = self.node.submit(normalize_params(WATCH, params))
        watch_id = self.subscriptions.watch(connection, transaction.hash)
        self._after_submit()
        return watch_id

    def _after_submit(self) -> None:
        if not self.config.auto_produce_on_submit:
            return
        if self._auto_producer is None or self._auto_producer.done():
            self._auto_producer = asyncio.create_task(self._auto_produce(), name="simnet-auto")

    async def _auto_produce(self) -> None:
        """Produce a block for the pool's transactions and `finality_lag` more to finalize
        it; a transaction that arrives meanwhile restarts the count."""
        # after the watchers' "ready" (sent FIRST_NOTIFICATION_DELAY after the answer)
        await asyncio.sleep(AUTO_PRODUCE_DELAY)
        remaining = 0
        while True:
            if self.world.pool:
                remaining = 1 + self.config.finality_lag
            if remaining <= 0:
                return
            await self.produce_blocks(1)
            remaining -= 1

    # -- the websocket ----------------------------------------------------------------------------

    async def _serve(self, websocket: ServerConnection) -> None:
        connection = Connection(websocket)
        self._connections.add(connection)
        writer = asyncio.create_task(connection.write())
        try:
            async for message in websocket:
                self._receive(connection, message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._connections.discard(connection)
            writer.cancel()
            for task in list(connection.tasks):
                task.cancel()

    def _receive(self, connection: Connection, message: str | bytes) -> None:
        try:
            request = json.loads(message)
        except ValueError:
            connection.send(_error(None, RpcError(-32700, "Parse error")))
            return
        batch = isinstance(request, list)
        requests = request if batch else [request]
        if not requests:
            connection.send(_error(None, RpcError(-32600, "Invalid request")))
            return
        for item in requests:
            if not isinstance(item, dict) or not isinstance(item.get("method"), str):
                continue  # answered by _respond
            method = item["method"]
            if not method.startswith("simnet_"):
                self._requests += 1
                every = self._faults.drop_every
                if every and self._requests % every == 0:
                    logger.info("simnet fault: dropping the connection at request %s", method)
                    connection.abort()
                    return
        if batch:
            task = asyncio.create_task(self._answer_batch(connection, requests))
        else:
            task = asyncio.create_task(self._answer(connection, request))
        connection.tasks.add(task)
        task.add_done_callback(connection.tasks.discard)

    async def _answer(self, connection: Connection, request: Any) -> None:
        response = await self._respond(connection, request)
        if response is not None:
            connection.send(response)

    async def _answer_batch(self, connection: Connection, requests: list[Any]) -> None:
        """A batch is answered with one array, once every answer is there."""
        responses = await asyncio.gather(*(self._respond(connection, r) for r in requests))
        answered = [r for r in responses if r is not None]
        if answered:
            connection.send(answered)

    async def _respond(self, connection: Connection, request: Any) -> dict[str, Any] | None:
        """The response to one request, or None for no answer (a stall)."""
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(None, RpcError(-32600, "Invalid request"))
        request_id = request.get("id")
        method: str = request["method"]
        params = request.get("params")
        if method.startswith("simnet_"):
            try:
                return _result(request_id, await control(self, method, params))
            except RpcError as e:
                return _error(request_id, e)

        faults = self._faults
        if faults.active:
            delay = faults.delay(self._rng)
            if delay:
                await asyncio.sleep(delay)
            if faults.stalls(method):
                return None  # never answered: the client's read timeout is what it sees
            if faults.fails(method, self._rng):
                return {"jsonrpc": "2.0", "id": request_id, "error": dict(faults.error)}

        try:
            return _result(request_id, self._call(connection, method, params))
        except RpcError as e:
            return _error(request_id, e)
        except Exception:
            logger.exception("simnet: %s failed", method)
            return _error(request_id, RpcError(-32603, "Internal error"))

    def _call(self, connection: Connection, method: str, params: Any) -> Any:
        """The answer to a node method: a subscription's, or the node's."""
        subscriptions = self.subscriptions
        if method == STORAGE_SUBSCRIBE:
            return subscriptions.subscribe_storage(connection, params)
        if method in HEAD_SUBSCRIPTIONS:
            return subscriptions.subscribe_heads(connection, method)
        if method in RUNTIME_VERSION_SUBSCRIPTIONS:
            return subscriptions.subscribe_runtime_version(connection)
        if (
            method in HEAD_UNSUBSCRIBE
            or method == STORAGE_UNSUBSCRIBE
            or method in RUNTIME_VERSION_SUBSCRIPTIONS.values()
        ):
            return subscriptions.unsubscribe(connection, params)
        if method == WATCH:
            return self._submit_and_watch(connection, params)
        if method == UNWATCH:
            return subscriptions.unwatch(connection, params)
        result = self.node.call(method, params)
        if method == "author_submitExtrinsic":
            self._after_submit()
        return result


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.as_json()}


def _started(part: T | None) -> T:
    """A part the simnet makes when it starts (its world, node, subscriptions)."""
    if part is None:
        raise RuntimeError("the simnet is not started: call `await simnet.start()` first")
    return part
