"""The node's JSON-RPC methods over a World: what a subtensor node would answer.

`Node` assembles the parts: `rpc.py` the plain methods, `runtime_api.py` the runtime calls,
`storage.py` the storage items, `cache.py` the per-block answer cache, `params.py` how params
arrive. Subscriptions and control methods live in the server; this is everything that is a
plain question and answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import method_not_found
from ..runtime import Runtime
from ..state import BlockState
from ..transaction import Transaction
from ..world import World
from .cache import AnswerCache
from .params import PARAM_NAMES, normalize_params
from .rpc import Rpc
from .runtime_api import RuntimeApi
from .storage import Storage

__all__ = ["PARAM_NAMES", "AnswerCache", "Node", "normalize_params"]


class Node:
    """Answers JSON-RPC calls about a World."""

    def __init__(self, world: World, runtime: Runtime) -> None:
        self.world = world
        self.runtime = runtime
        self.cache = AnswerCache()
        self.storage = Storage(runtime, self.cache)
        self.rpc = Rpc(world, runtime, RuntimeApi(runtime), self.storage, self.cache)
        # methods the server answers itself (subscriptions), listed by rpc_methods
        self.extra_methods: list[str] = []
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "rpc_methods": self.rpc_methods,
            **self.rpc.methods,
        }

    def has_method(self, method: str) -> bool:
        return method in self._methods

    def method_names(self) -> list[str]:
        return sorted({*self._methods, *self.extra_methods})

    def call(self, method: str, params: Any) -> Any:
        handler = self._methods.get(method)
        if handler is None:
            raise method_not_found()
        return handler(normalize_params(method, params))

    def rpc_methods(self, params: dict[str, Any]) -> Any:
        return {"methods": self.method_names()}

    def storage_values(self, state: BlockState, keys: list[str]) -> dict[str, str | None]:
        """The values (hex, None when absent) of storage keys (hex) at a block."""
        return self.storage.values(state, keys)

    def submit(self, params: dict[str, Any]) -> Transaction:
        """Check an extrinsic and put it in the pool; return the transaction (or raise the
        error a node answers)."""
        return self.rpc.submit(params)
