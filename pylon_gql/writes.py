"""The server's write side, as the schema sees it: the weight store, the committer, the keys it
signs with, and the chain client that submits (built and started by `Services`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .committer import Committer
from .keys import Signers
from .store import WeightStore

if TYPE_CHECKING:
    from .chain.client import ChainClient
    from .models import AdminCall


@dataclass
class WritePath:
    store: WeightStore
    committer: Committer
    signers: Signers
    chain: ChainClient
    _admin_calls: dict[str, AdminCall] | None = None

    async def admin_calls(self) -> dict[str, AdminCall]:
        if self._admin_calls is None:
            self._admin_calls = await self.chain.admin_calls()
        return self._admin_calls
