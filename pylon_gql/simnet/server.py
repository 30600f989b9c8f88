"""The simnet's websocket JSON-RPC server: requests, subscriptions, block production, faults."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import secrets
import string
import types
from typing import Any

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve

from .extrinsics import blake2_256
from .faults import Faults
from .node import Node, RpcError, invalid_params, normalize_params
from .runtime import get_runtime
from .world import BlockHeader, World, dev_keys, get_snapshot

logger = logging.getLogger("pylon_gql.simnet")

SUBSCRIPTIONS = {
    # subscribe method -> (notification method, unsubscribe method)
    "chain_subscribeNewHeads": ("chain_newHead", "chain_unsubscribeNewHeads"),
    "chain_subscribeNewHead": ("chain_newHead", "chain_unsubscribeNewHead"),
    "chain_subscribeAllHeads": ("chain_allHead", "chain_unsubscribeAllHeads"),
    "chain_subscribeFinalizedHeads": ("chain_finalizedHead", "chain_unsubscribeFinalizedHeads"),
    "chain_subscribeFinalisedHeads": ("chain_finalizedHead", "chain_unsubscribeFinalisedHeads"),
}
UNSUBSCRIBE = {unsubscribe: notify for notify, unsubscribe in SUBSCRIPTIONS.values()}
CONTROL_METHODS = (
    "simnet_produceBlocks",
    "simnet_setFaults",
    "simnet_getFaults",
    "simnet_info",
)
# how long after answering a subscription its first notification follows: a client registers
# its queue only once it has the subscription id, and would drop an earlier notification
FIRST_NOTIFICATION_DELAY = 0.02
# with auto_produce_on_submit: how long after a submission its block is made
AUTO_PRODUCE_DELAY = 0.05
WATCH_NOTIFICATION = "author_extrinsicUpdate"


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
    # Timestamp.Now of the snapshot block; None: the wall clock at start
    start_timestamp_ms: int | None = None
    # produce blocks as soon as a valid extrinsic arrives: its block, then `finality_lag`
    # more so that it is finalized (manual mode or not)
    auto_produce_on_submit: bool = False


class _Connection:
    """One client: an ordered outbox (answers and notifications) and its subscriptions."""

    def __init__(self, websocket: ServerConnection) -> None:
        self.websocket = websocket
        self.outbox: asyncio.Queue[str] = asyncio.Queue()
        self.subscriptions: dict[str, str] = {}  # id -> notification method
        # a subscription's first notification (the current head), until it is sent
        self.first_notifications: dict[str, Any] = {}
        # storage subscription id -> the values last sent, by key
        self.storage: dict[str, dict[str, str | None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, message: dict[str, Any] | list[dict[str, Any]]) -> None:
        self.outbox.put_nowait(json.dumps(message, separators=(",", ":")))

    def send_first_notification(self, subscription_id: str) -> None:
        result = self.first_notifications.pop(subscription_id, None)
        method = self.subscriptions.get(subscription_id)
        if result is not None and method is not None:
            self.notify(subscription_id, method, result)

    def notify(self, subscription_id: str, method: str, result: Any) -> None:
        if subscription_id in self.first_notifications:
            self.send_first_notification(subscription_id)
        self.send(
            {
                "jsonrpc": "2.0",
                "method": method,
                "params": {"subscription": subscription_id, "result": result},
            }
        )

    def notify_once(self, subscription_id: str, method: str, result: Any) -> None:
        """The last notification of a subscription that has already ended."""
        self.send_first_notification_of(subscription_id, method)
        self.send(
            {
                "jsonrpc": "2.0",
                "method": method,
                "params": {"subscription": subscription_id, "result": result},
            }
        )

    def send_first_notification_of(self, subscription_id: str, method: str) -> None:
        result = self.first_notifications.pop(subscription_id, None)
        if result is not None:
            self.send(
                {
                    "jsonrpc": "2.0",
                    "method": method,
                    "params": {"subscription": subscription_id, "result": result},
                }
            )

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, as a crashed node or a cut
        network does."""
        transport = self.websocket.transport
        if transport is not None:
            transport.abort()

    async def write(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                message = await self.outbox.get()
                await self.websocket.send(message)


class Simnet:
    """A simulated subtensor node on a real websocket. See docs/simnet.md."""

    def __init__(self, config: SimnetConfig | None = None) -> None:
        self.config = config or SimnetConfig()
        self._faults = self.config.faults
        self._rng = random.Random(f"{self.config.seed}:faults")
        self._world: World | None = None
        self._node: Node | None = None
        self._server: Server | None = None
        self._producer: asyncio.Task[None] | None = None
        self._connections: set[_Connection] = set()
        self._requests = 0
        self._port = 0
        self._production_lock = asyncio.Lock()
        # extrinsic hash -> the (connection, subscription id) watching it
        self._watchers: dict[str, list[tuple[_Connection, str]]] = {}
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
        self._world = World(
            runtime,
            snapshot,
            seed=config.seed,
            block_time=config.block_time,
            finality_lag=config.finality_lag,
            history=config.history,
            archive=config.archive,
            start_timestamp_ms=config.start_timestamp_ms,
            synthetic_neurons=config.synthetic_neurons,
        )
        self._node = Node(self._world, runtime)
        self._node.extra_methods = [
            *SUBSCRIPTIONS,
            *UNSUBSCRIBE,
            "state_subscribeStorage",
            "state_unsubscribeStorage",
            "author_submitAndWatchExtrinsic",
            "author_unwatchExtrinsic",
            *CONTROL_METHODS,
        ]
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
        if self._world is None:
            raise RuntimeError("the simnet is not started")
        return self._world

    @property
    def node(self) -> Node:
        if self._node is None:
            raise RuntimeError("the simnet is not started")
        return self._node

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
                self._notify_heads(state.header, finalized)
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

    def _notify_extrinsics(self, head: BlockHeader, finalized: list[BlockHeader]) -> None:
        """Watchers of extrinsics: `inBlock` when their block is made, `finalized` when it is
        finalized (then the watch ends, as on a node)."""
        bodies = self.world.bodies
        for data in bodies.get(head.hash, ()):
            for connection, subscription_id in self._watchers.get(_extrinsic_hash(data), ()):
                connection.notify(subscription_id, WATCH_NOTIFICATION, {"inBlock": head.hash})
        for header in finalized:
            for data in bodies.get(header.hash, ()):
                watchers = self._watchers.pop(_extrinsic_hash(data), [])
                for connection, subscription_id in watchers:
                    if connection.subscriptions.pop(subscription_id, None) is not None:
                        connection.notify_once(
                            subscription_id, WATCH_NOTIFICATION, {"finalized": header.hash}
                        )

    def _submit_and_watch(self, connection: _Connection, params: Any) -> str:
        transaction = self.node.submit(normalize_params("author_submitAndWatchExtrinsic", params))
        subscription_id = _subscription_id()
        connection.subscriptions[subscription_id] = WATCH_NOTIFICATION
        self._watchers.setdefault(transaction.hash, []).append((connection, subscription_id))
        # like the head subscriptions: "ready" shortly after the id the client needs first
        self._first_notification(connection, subscription_id, "ready")
        self._after_submit()
        return subscription_id

    def _unwatch(self, connection: _Connection, params: Any) -> bool:
        ids = list(normalize_params("author_unwatchExtrinsic", params).values())
        if not ids or not isinstance(ids[0], str):
            raise invalid_params("the subscription id is missing")
        subscription_id = ids[0]
        connection.first_notifications.pop(subscription_id, None)
        found = connection.subscriptions.pop(subscription_id, None) is not None
        for watchers in self._watchers.values():
            watchers[:] = [w for w in watchers if w != (connection, subscription_id)]
        return found

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

    def _notify_heads(self, head: BlockHeader, finalized: list[BlockHeader]) -> None:
        node = self._node
        assert node is not None
        self._notify_extrinsics(head, finalized)
        for connection in self._connections:
            for subscription_id, last in connection.storage.items():
                values = node.storage_values(self.world.head, list(last))
                changes = [[k, v] for k, v in values.items() if last[k] != v]
                if changes:
                    last.update(values)
                    connection.notify(
                        subscription_id, "state_storage", {"block": head.hash, "changes": changes}
                    )
            for subscription_id, method in list(connection.subscriptions.items()):
                if method in ("chain_newHead", "chain_allHead"):
                    connection.notify(subscription_id, method, head.as_json())
                elif method == "chain_finalizedHead":
                    for header in finalized:
                        connection.notify(subscription_id, method, header.as_json())

    # -- the websocket ----------------------------------------------------------------------------

    async def _serve(self, websocket: ServerConnection) -> None:
        connection = _Connection(websocket)
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

    def _receive(self, connection: _Connection, message: str | bytes) -> None:
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

    async def _answer(self, connection: _Connection, request: Any) -> None:
        response = await self._respond(connection, request)
        if response is not None:
            connection.send(response)

    async def _answer_batch(self, connection: _Connection, requests: list[Any]) -> None:
        """A batch is answered with one array, once every answer is there."""
        responses = await asyncio.gather(*(self._respond(connection, r) for r in requests))
        answered = [r for r in responses if r is not None]
        if answered:
            connection.send(answered)

    async def _respond(self, connection: _Connection, request: Any) -> dict[str, Any] | None:
        """The response to one request, or None for no answer (a stall)."""
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(None, RpcError(-32600, "Invalid request"))
        request_id = request.get("id")
        method: str = request["method"]
        params = request.get("params")
        if method.startswith("simnet_"):
            try:
                return _result(request_id, await self._control(method, params))
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
            if method == "state_subscribeStorage":
                return _result(request_id, self._subscribe_storage(connection, params))
            if method in SUBSCRIPTIONS:
                return _result(request_id, self._subscribe(connection, method))
            if method in UNSUBSCRIBE or method == "state_unsubscribeStorage":
                return _result(request_id, self._unsubscribe(connection, params))
            if method == "author_submitAndWatchExtrinsic":
                return _result(request_id, self._submit_and_watch(connection, params))
            if method == "author_unwatchExtrinsic":
                return _result(request_id, self._unwatch(connection, params))
            if method == "author_submitExtrinsic":
                result = self.node.call(method, params)
                self._after_submit()
                return _result(request_id, result)
            node = self._node
            assert node is not None
            return _result(request_id, node.call(method, params))
        except RpcError as e:
            return _error(request_id, e)
        except Exception:
            logger.exception("simnet: %s failed", method)
            return _error(request_id, RpcError(-32603, "Internal error"))

    def _unsubscribe(self, connection: _Connection, params: Any) -> bool:
        ids = params if isinstance(params, list) else list((params or {}).values())
        if not ids:
            raise invalid_params("the subscription id is missing")
        subscription_id = str(ids[0])
        connection.first_notifications.pop(subscription_id, None)
        connection.storage.pop(subscription_id, None)
        return connection.subscriptions.pop(subscription_id, None) is not None

    def _subscribe_storage(self, connection: _Connection, params: Any) -> str:
        keys = _single_param(params, ("keys",), default=None)
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise invalid_params("keys must be a list of keys")
        node = self._node
        assert node is not None
        values = node.storage_values(self.world.head, keys)
        subscription_id = _subscription_id()
        connection.storage[subscription_id] = dict(values)
        connection.subscriptions[subscription_id] = "state_storage"
        # like a node: the current values first, then a change set whenever one changes
        self._first_notification(
            connection,
            subscription_id,
            {"block": self.world.head.hash, "changes": [[k, v] for k, v in values.items()]},
        )
        return subscription_id

    def _subscribe(self, connection: _Connection, method: str) -> str:
        notification, _ = SUBSCRIPTIONS[method]
        subscription_id = _subscription_id()
        connection.subscriptions[subscription_id] = notification
        world = self.world
        if notification == "chain_finalizedHead":
            first = world.headers[world.finalized_hash]
        else:
            first = world.head.header
        self._first_notification(connection, subscription_id, first.as_json())
        return subscription_id

    def _first_notification(self, connection: _Connection, subscription_id: str, result: Any):
        """Sent after a short delay, or just before the subscription's next notification,
        whichever comes first: after the answer with the id, which the client needs first."""
        connection.first_notifications[subscription_id] = result
        asyncio.get_running_loop().call_later(
            FIRST_NOTIFICATION_DELAY, connection.send_first_notification, subscription_id
        )

    async def _control(self, method: str, params: Any) -> Any:
        if method == "simnet_produceBlocks":
            count = _single_param(params, ("count", "n"), default=1)
            if not isinstance(count, int) or count < 0:
                raise invalid_params("count must be a non-negative number")
            await self.produce_blocks(count)
            return self._info()
        if method == "simnet_setFaults":
            settings = _single_param(params, ("faults",), default=None)
            if settings is None and isinstance(params, dict) and "faults" not in params:
                settings = params
            try:
                return self.set_faults(Faults.from_json(settings or {})).as_json()
            except (TypeError, ValueError) as e:
                raise invalid_params(str(e)) from None
        if method == "simnet_getFaults":
            return self._faults.as_json()
        if method == "simnet_info":
            return self._info()
        raise RpcError(-32601, "Method not found")

    def _info(self) -> dict[str, Any]:
        world = self.world
        return {
            "head": {"number": world.head_number, "hash": world.head.hash},
            "finalized": {"number": world.finalized_number, "hash": world.finalized_hash},
            "subnets": sorted(world.head.subnets),
            "devKeys": {role: {"uri": u, "ss58": a} for role, (u, a) in self.dev_keys.items()},
        }


_ID_ALPHABET = string.ascii_letters + string.digits


def _subscription_id() -> str:
    # Never "0x...": turbobt reads any 0x-prefixed answer as hex bytes and fails on it.
    first = secrets.choice(string.ascii_letters)
    return first + "".join(secrets.choice(_ID_ALPHABET) for _ in range(15))


def _extrinsic_hash(data: bytes) -> str:
    return "0x" + blake2_256(data).hex()


def _single_param(params: Any, names: tuple[str, ...], default: Any) -> Any:
    if isinstance(params, list):
        return params[0] if params else default
    if isinstance(params, dict):
        for name in names:
            if name in params:
                return params[name]
    return default


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.as_json()}
