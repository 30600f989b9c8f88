"""Subscriptions over websockets: strawberry's two protocol handlers, with what they lack here.

Strawberry 0.341 gives graphql-transport-ws a connection-init timeout (4408), a cap on
operations per connection, and refusal from `on_ws_connect` (4403); graphql-ws its `ka`
keep-alive. These handlers add keep-alive pings to graphql-transport-ws, the init timeout to
graphql-ws, and a send timeout to both: a client that stops reading fills the socket buffers,
and once one message has waited `send_timeout` seconds its connection is dropped, so a stalled
client holds no task, queue or subscription on the server.

A connection can also end underneath the handler without the app hearing of it: uvicorn closes
one whose client answers no websocket ping (`ws_ping_interval` + `ws_ping_timeout`) and puts no
disconnect in the app's receive queue, so the main loop would wait for a message forever while
every send of every operation fails (uvicorn raises RuntimeError, Starlette its own
WebSocketDisconnected, neither of which strawberry treats as a disconnection). Any failed send
therefore drops the connection too: the main loop is cancelled, strawberry's shutdown cancels
the operations (each closes its hub subscription), and one line is logged, not a traceback per
operation.

Malformed messages (ws_messages.py says what a message must hold) are refused as each protocol
says, with one log line and no traceback, and a connection takes a slot of
`PYLON_WS_MAX_CONNECTIONS` only once its `connection_init` is accepted (ws_admission.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from ..schema.context import Context
from ..schema.errors import ErrorCode
from .ws_admission import SLOT_KEY, Slot
from .ws_gauges import open_connection, running_subscription
from .ws_messages import close_reason, legacy_ws_problem, transport_ws_problem

logger = logging.getLogger(__name__)

#: Close codes: the one graphql-transport-ws uses for a late `connection_init`, and the
#: standard "try again later" for a server at its connection limit.
INIT_TIMEOUT_CODE = 4408
TRY_AGAIN_LATER_CODE = 1013
#: graphql-transport-ws: "Invalid message"; and RFC 6455's protocol error, which strawberry's
#: graphql-ws handler uses for a frame it cannot take (a binary one).
INVALID_MESSAGE_CODE = 4400
PROTOCOL_ERROR_CODE = 1002


def _log_refusal(protocol: str, problem: str, action: str) -> None:
    # The problem is the server's own words (a client-chosen type is cut short in it).
    logger.info("websocket client sent an invalid %s message (%r): %s", protocol, problem, action)


class _Dropped(WebSocketDisconnected):
    """The client stopped reading: its connection is being dropped."""


class _Drop:
    """What both handlers share: the send timeout, and dropping the connection on it."""

    view: Any
    websocket: Any
    _dropped: bool = False
    _main: asyncio.Task[Any] | None = None

    @property
    def send_timeout(self) -> float:
        return getattr(self.view, "ws_send_timeout", 30.0)

    async def _send_within_timeout(self, send: Any, message: Any) -> None:
        if self._dropped:
            raise _Dropped
        try:
            async with asyncio.timeout(self.send_timeout):
                await send(message)
            # A send the socket takes at once never suspends: without this, a subscription
            # replaying blocks from `fromBlock` would hold the event loop for its whole replay.
            await asyncio.sleep(0)
        except TimeoutError:
            self._drop(f"read nothing for {self.send_timeout:g} s")
            raise _Dropped from None
        except WebSocketDisconnected:
            self._drop(None)  # the client left: its receive loop ends by itself, nothing to say
            raise
        except (RuntimeError, OSError) as error:
            # The connection was closed under us (see the module's docstring).
            self._drop(f"connection already closed ({error})")
            raise _Dropped from None

    def _drop(self, why: str | None) -> None:
        """End the connection and all it holds, once; `why` is logged (None: a normal leave)."""
        if self._dropped:
            return
        self._dropped = True
        if why is not None:
            logger.warning(
                "websocket client %s: dropping its connection and its %d operation(s)",
                why,
                self._operation_count(),
            )
        if self._main is not None and self._main is not asyncio.current_task():
            # The main loop waits for the client's next message, which may never come.
            self._main.cancel()

    def _operation_count(self) -> int:
        return 0

    def _running(self, query: object, operation_name: object) -> Any:
        """The active-subscriptions gauge, held while an operation runs (ws_gauges.py)."""
        max_tokens = self.view.settings.max_tokens
        return running_subscription(self.view.schema, query, operation_name, max_tokens)

    async def _run(self, handle: Any) -> None:
        self._main = asyncio.current_task()
        slot = self._slot()
        if slot is not None:
            slot.on_evict(self._evict)
        try:
            with open_connection():
                await handle()
        except asyncio.CancelledError:
            if not self._dropped:
                raise
            if self._main is not None:
                self._main.uncancel()
        except HTTPException:
            # The view's `decode_json` refuses a frame that is not JSON, or is JSON but
            # neither an object nor a list, with the HTTP 400 it answers a request body.
            await self._refuse_frame("a message must be a JSON object")

    async def _refuse_frame(self, problem: str) -> None:
        raise NotImplementedError

    # --- admission (`Admission`; the view puts the connection's slot in the scope)

    _closing: asyncio.Task[None] | None = None

    def _slot(self) -> Slot | None:
        request = getattr(getattr(self, "context", None), "request", None)
        slot = getattr(request, "scope", {}).get(SLOT_KEY)
        return slot if isinstance(slot, Slot) else None

    async def _admitted(self) -> bool:
        """At `connection_init`: take a slot for this connection, or close it (1013) when the
        server already holds as many initialised connections as it takes."""
        slot = self._slot()
        if slot is None or self.view.ws_admission.acknowledge(slot):
            return True
        if not slot.evicted:
            logger.info("websocket connection refused at connection_init: the server is full")
            self._stop_init_timer()
            await self.websocket.close(
                code=TRY_AGAIN_LATER_CODE, reason="too many connections; retry later"
            )
        return False

    def _evict(self) -> None:
        self._stop_init_timer()
        if self._closing is None:
            self._closing = asyncio.create_task(self._close_evicted())

    def _stop_init_timer(self) -> None:
        raise NotImplementedError

    async def _close_evicted(self) -> None:
        self._stop_init_timer()  # again: one evicted before it started has made its timer since
        with contextlib.suppress(Exception):
            await self.websocket.close(
                code=INIT_TIMEOUT_CODE,
                reason="no connection_init yet, and newer connections need the room",
            )


@contextlib.asynccontextmanager
async def _starting(view: Any) -> AsyncIterator[None]:
    """While a new operation is created: its first step (its set-up) runs before the next
    message is read, and only a few connections' operations set up at once, server-wide.

    A client's queued messages are read without the loop ever waiting: a hundred `subscribe`
    messages would create a hundred operations, all of them ready at the next turn of the loop,
    and each one's set-up (strawberry's extension hooks, parse, validation: 0.3-1.5 ms) would
    run in that one turn. Twenty such connections held every other request 0.6 s.
    """
    async with view.operation_starts:
        yield
        await asyncio.sleep(0)


class TransportWSHandler(_Drop, BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a `ping` every `keep_alive_interval` seconds once acked.

    The protocol has the client answer each ping with a pong: one that has not within
    `send_timeout` seconds is not reading, and is dropped. That catches what the send timeout
    alone cannot: the kernel's socket buffers (megabytes on a fast link) take a stalled
    client's messages without a send ever waiting, until the buffers are full.
    """

    _pinger: asyncio.Task[None] | None = None
    #: When the oldest ping no pong has answered yet was sent (a pong answers them all).
    _unanswered_since: float | None = None

    @property
    def keep_alive_interval(self) -> float:
        return self.view.keep_alive_interval if self.view.keep_alive else 0.0

    async def handle(self) -> None:
        try:
            await self._run(super().handle)
        finally:
            if self._pinger is not None:
                self._pinger.cancel()
                with contextlib.suppress(BaseException):
                    await self._pinger

    async def handle_message(self, message: Any) -> None:
        problem = transport_ws_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_invalid_message(self, error_message: str) -> None:
        # Strawberry's and ours alike: the protocol's "Invalid message", one line in the log.
        reason = close_reason(error_message)
        _log_refusal("graphql-transport-ws", reason, f"closed with {INVALID_MESSAGE_CODE}")
        self._stop_init_timer()
        await self.websocket.close(code=INVALID_MESSAGE_CODE, reason=reason)

    async def _refuse_frame(self, problem: str) -> None:
        with contextlib.suppress(Exception):
            await self.handle_invalid_message(problem)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # Strawberry closes with 4400 on a syntax error or an unknown operation name, with the
        # whole message as the reason: cut to fit a close frame (longer, the close itself
        # failed and the client got no close frame), from the message the client would see.
        reason = BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)
        return None if reason is None else close_reason(error.message)

    def _stop_init_timer(self) -> None:
        """The connection is being closed: its init timeout must not close it a second time
        (strawberry would log the failed close with a traceback)."""
        self.connection_timed_out = True  # a connection_init that arrives now is ignored
        timer = self.connection_init_timeout_task
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def handle_connection_init(self, message: Any) -> None:
        if "payload" in message and message["payload"] is None:
            # graphql-transport-ws allows a null payload; strawberry closes with 4400 on it.
            message = {key: value for key, value in message.items() if key != "payload"}
        first = not (self.connection_init_received or self.connection_timed_out)
        if first and not await self._admitted():
            return
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.keep_alive_interval > 0 and not self._pinger:
            self._pinger = asyncio.create_task(self._ping())

    async def handle_subscribe(self, message: Any) -> None:
        # Strawberry refuses one too many with a bare message; ours carries a code.
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            error = {
                "message": f"at most {limit} subscriptions at once on one connection: "
                "complete one, or open another connection",
                "extensions": {"code": ErrorCode.TOO_MANY_SUBSCRIPTIONS.value},
            }
            await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
            return
        async with _starting(self.view):
            await super().handle_subscribe(message)

    def _operation_count(self) -> int:
        return len(self.operations)

    async def run_operation(self, operation: Any) -> None:
        with self._running(operation.query, operation.operation_name):
            await super().run_operation(operation)

    async def _ping(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(WebSocketDisconnected):
            while True:
                await asyncio.sleep(self.keep_alive_interval)
                if self._unanswered_since is None:
                    self._unanswered_since = loop.time()
                elif loop.time() - self._unanswered_since > self.send_timeout:
                    self._drop(f"answered no ping for {self.send_timeout:g} s")
                    return
                await self.send_message({"type": "ping"})

    async def handle_pong(self, message: Any) -> None:
        self._unanswered_since = None

    async def send_message(self, message: Any) -> None:
        await self._send_within_timeout(super().send_message, message)

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            return  # the client left, or was dropped: nothing to report
        await super().handle_task_exception(error)


class LegacyWSHandler(_Drop, BaseGraphQLWSHandler[Context, None]):
    """graphql-ws (subscriptions-transport-ws), for old clients: with an init timeout."""

    _timer: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        timer = self._timer = asyncio.create_task(self._close_unless_initialised())
        try:
            await self._run(super().handle)
        finally:
            timer.cancel()
            with contextlib.suppress(BaseException):
                await timer

    def _operation_count(self) -> int:
        return len(self.subscriptions)

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: Any
    ) -> None:
        with self._running(query, operation_name):
            await super().handle_async_results(operation_id, query, operation_name, variables)

    async def handle_message(self, message: Any) -> None:
        """A malformed message that names its operation is answered with an `error` for it,
        and the connection goes on; one that names none gets a `connection_error` and a close
        (1002, protocol error).

        Why: graphql-ws (subscriptions-transport-ws) has no close codes of its own. Its
        PROTOCOL.md answers an operation that fails before execution with `GQL_ERROR` for its
        id, and its reference server does so for a `start` it cannot run (and answers a frame
        it cannot read with `GQL_CONNECTION_ERROR`); strawberry answers an operation over the
        subscription limit with such an `error`, and closes a frame it cannot take (a binary
        one) with 1002. A frame with no usable id has no operation to answer for, and a client
        that sends one is not speaking the protocol: it is closed.
        """
        found = legacy_ws_problem(message)
        if found is None:
            await super().handle_message(message)
            return
        problem, operation_id = found
        if operation_id is None:
            await self._refuse_frame(problem)
            return
        answered = f"answered an error for operation {operation_id[:64]!r}"
        _log_refusal("graphql-ws", problem, answered)
        error = {"message": problem, "extensions": {"code": ErrorCode.BAD_REQUEST.value}}
        await self.send_message({"type": "error", "id": operation_id, "payload": error})

    async def _refuse_frame(self, problem: str) -> None:
        _log_refusal("graphql-ws", problem, f"closed with {PROTOCOL_ERROR_CODE}")
        with contextlib.suppress(Exception):
            await self.send_message({"type": "connection_error", "payload": {"message": problem}})
            await self.websocket.close(code=PROTOCOL_ERROR_CODE, reason=close_reason(problem))

    def _stop_init_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    async def handle_connection_init(self, message: Any) -> None:
        if not self.connection_acknowledged and not await self._admitted():
            return
        await super().handle_connection_init(message)

    async def handle_start(self, message: Any) -> None:
        async with _starting(self.view):
            await super().handle_start(message)

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            with contextlib.suppress(Exception):
                await self.websocket.close(
                    code=INIT_TIMEOUT_CODE, reason="Connection initialisation timeout"
                )

    async def send_message(self, message: Any) -> None:
        await self._send_within_timeout(super().send_message, message)
