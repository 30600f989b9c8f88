"""Subscriptions: to new, all and finalized heads, to storage keys, and to a submitted
extrinsic's progress; and what each new block sends them.

Each subscription first gets the current value (the head, the storage values, "ready"), a moment
after the subscription id — or just before its next notification if a block comes sooner —
because turbobt registers its queue only once it has the id and would drop an earlier one.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Iterable
from typing import Any

from .connection import Connection
from .errors import invalid_params
from .node import Node
from .node.params import normalize_params, single_param
from .state import BlockHeader
from .transaction import extrinsic_hash
from .world import World

HEAD_SUBSCRIPTIONS = {
    # subscribe method -> (notification method, unsubscribe method)
    "chain_subscribeNewHeads": ("chain_newHead", "chain_unsubscribeNewHeads"),
    "chain_subscribeNewHead": ("chain_newHead", "chain_unsubscribeNewHead"),
    "chain_subscribeAllHeads": ("chain_allHead", "chain_unsubscribeAllHeads"),
    "chain_subscribeFinalizedHeads": ("chain_finalizedHead", "chain_unsubscribeFinalizedHeads"),
    "chain_subscribeFinalisedHeads": ("chain_finalizedHead", "chain_unsubscribeFinalisedHeads"),
}
HEAD_UNSUBSCRIBE = {unsubscribe: notify for notify, unsubscribe in HEAD_SUBSCRIPTIONS.values()}
# the runtime never changes: a subscriber gets the version once, and nothing after it
RUNTIME_VERSION_SUBSCRIPTIONS = {
    "state_subscribeRuntimeVersion": "state_unsubscribeRuntimeVersion",
    "chain_subscribeRuntimeVersion": "chain_unsubscribeRuntimeVersion",
}
RUNTIME_VERSION_NOTIFICATION = "state_runtimeVersion"
STORAGE_SUBSCRIBE = "state_subscribeStorage"
STORAGE_UNSUBSCRIBE = "state_unsubscribeStorage"
WATCH = "author_submitAndWatchExtrinsic"
UNWATCH = "author_unwatchExtrinsic"
WATCH_NOTIFICATION = "author_extrinsicUpdate"
# every method answered here, for rpc_methods
SUBSCRIPTION_METHODS = (
    *HEAD_SUBSCRIPTIONS,
    *HEAD_UNSUBSCRIBE,
    *RUNTIME_VERSION_SUBSCRIPTIONS,
    *RUNTIME_VERSION_SUBSCRIPTIONS.values(),
    STORAGE_SUBSCRIBE,
    STORAGE_UNSUBSCRIBE,
    WATCH,
    UNWATCH,
)
# how long after answering a subscription its first notification follows: a client registers
# its queue only once it has the subscription id, and would drop an earlier notification
FIRST_NOTIFICATION_DELAY = 0.02

_ID_ALPHABET = string.ascii_letters + string.digits


def subscription_id() -> str:
    # Never "0x...": turbobt reads any 0x-prefixed answer as hex bytes and fails on it.
    first = secrets.choice(string.ascii_letters)
    return first + "".join(secrets.choice(_ID_ALPHABET) for _ in range(15))


class Subscriptions:
    """The subscriptions of every connection to one world, and the watchers of extrinsics."""

    def __init__(self, world: World, node: Node) -> None:
        self.world = world
        self.node = node
        # extrinsic hash -> the (connection, subscription id) watching it
        self._watchers: dict[str, list[tuple[Connection, str]]] = {}

    # -- subscribing ----------------------------------------------------------------------------

    def subscribe_heads(self, connection: Connection, method: str) -> str:
        notification, _ = HEAD_SUBSCRIPTIONS[method]
        new_id = subscription_id()
        connection.subscriptions[new_id] = notification
        world = self.world
        if notification == "chain_finalizedHead":
            first = world.headers[world.finalized_hash]
        else:
            first = world.head.header
        self._first_notification(connection, new_id, first.as_json())
        return new_id

    def subscribe_runtime_version(self, connection: Connection) -> str:
        new_id = subscription_id()
        connection.subscriptions[new_id] = RUNTIME_VERSION_NOTIFICATION
        self._first_notification(connection, new_id, self.world.runtime.runtime_version)
        return new_id

    def subscribe_storage(self, connection: Connection, params: Any) -> str:
        keys = single_param(params, ("keys",), default=None)
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise invalid_params("keys must be a list of keys")
        values = self.node.storage_values(self.world.head, keys)
        new_id = subscription_id()
        connection.storage[new_id] = dict(values)
        connection.subscriptions[new_id] = "state_storage"
        # like a node: the current values first, then a change set whenever one changes
        self._first_notification(
            connection,
            new_id,
            {"block": self.world.head.hash, "changes": [[k, v] for k, v in values.items()]},
        )
        return new_id

    def unsubscribe(self, connection: Connection, params: Any) -> bool:
        ids = params if isinstance(params, list) else list((params or {}).values())
        if not ids:
            raise invalid_params("the subscription id is missing")
        old_id = str(ids[0])
        connection.first_notifications.pop(old_id, None)
        connection.storage.pop(old_id, None)
        return connection.subscriptions.pop(old_id, None) is not None

    def watch(self, connection: Connection, transaction_hash: str) -> str:
        """Watch a transaction just put in the pool: `ready`, `inBlock`, then `finalized`."""
        new_id = subscription_id()
        connection.subscriptions[new_id] = WATCH_NOTIFICATION
        self._watchers.setdefault(transaction_hash, []).append((connection, new_id))
        # like the head subscriptions: "ready" (or "future", for a nonce ahead) shortly after
        # the id the client needs first
        future = any(t.hash == transaction_hash for t in self.world.future)
        self._first_notification(connection, new_id, "future" if future else "ready")
        return new_id

    def unwatch(self, connection: Connection, params: Any) -> bool:
        ids = list(normalize_params(UNWATCH, params).values())
        if not ids or not isinstance(ids[0], str):
            raise invalid_params("the subscription id is missing")
        old_id = ids[0]
        connection.first_notifications.pop(old_id, None)
        found = connection.subscriptions.pop(old_id, None) is not None
        for watchers in self._watchers.values():
            watchers[:] = [w for w in watchers if w != (connection, old_id)]
        return found

    def _first_notification(self, connection: Connection, new_id: str, result: Any) -> None:
        """Sent after a short delay, or just before the subscription's next notification,
        whichever comes first: after the answer with the id, which the client needs first."""
        connection.first_notifications[new_id] = result
        asyncio.get_running_loop().call_later(
            FIRST_NOTIFICATION_DELAY, connection.send_first_notification, new_id
        )

    # -- a new block ----------------------------------------------------------------------------

    def notify_block(
        self, connections: Iterable[Connection], head: BlockHeader, finalized: list[BlockHeader]
    ) -> None:
        """Send what a new head (and the blocks it finalized) changes to every subscriber."""
        self._notify_extrinsics(head, finalized)
        for connection in connections:
            for storage_id, last in connection.storage.items():
                values = self.node.storage_values(self.world.head, list(last))
                changes = [[k, v] for k, v in values.items() if last[k] != v]
                if changes:
                    last.update(values)
                    connection.notify(
                        storage_id, "state_storage", {"block": head.hash, "changes": changes}
                    )
            for head_id, method in list(connection.subscriptions.items()):
                if method in ("chain_newHead", "chain_allHead"):
                    connection.notify(head_id, method, head.as_json())
                elif method == "chain_finalizedHead":
                    for header in finalized:
                        connection.notify(head_id, method, header.as_json())

    def _notify_extrinsics(self, head: BlockHeader, finalized: list[BlockHeader]) -> None:
        """Watchers of extrinsics: `inBlock` when their block is made, `finalized` when it is
        finalized (then the watch ends, as on a node)."""
        bodies = self.world.bodies
        for data in bodies.get(head.hash, ()):
            for connection, watch_id in self._watchers.get(extrinsic_hash(data), ()):
                connection.notify(watch_id, WATCH_NOTIFICATION, {"inBlock": head.hash})
        for header in finalized:
            for data in bodies.get(header.hash, ()):
                watchers = self._watchers.pop(extrinsic_hash(data), [])
                for connection, watch_id in watchers:
                    if connection.subscriptions.pop(watch_id, None) is not None:
                        connection.notify_once(
                            watch_id, WATCH_NOTIFICATION, {"finalized": header.hash}
                        )
