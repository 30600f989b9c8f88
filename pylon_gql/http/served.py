"""What the HTTP layer serves from: the running services, as a declared interface.

`pylon_gql.services.Services` is the real one; the app tests give a fake. The app reads
nothing else of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..auth import Role
from ..events import EventBus
from ..schema.context import Reader

if TYPE_CHECKING:
    from ..writes import WritePath


class RunningServices(Protocol):
    @property
    def reader(self) -> Reader: ...

    @property
    def hub(self) -> EventBus: ...

    @property
    def writes(self) -> WritePath | None:
        """The weight store, committer and keys (None: this server has no write path)."""
        ...

    @property
    def dev_tokens(self) -> Mapping[Role, str]:
        """Tokens made up for the simulated chain when none are configured (role -> token)."""
        ...

    def head_age(self) -> float | None:
        """Seconds since the follower saw a new head (None before the first)."""
        ...

    def status(self) -> Mapping[str, Any]:
        """`{"connected": bool, "follower": {...}, "watcher": {...}, "committer": {...}}`."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
