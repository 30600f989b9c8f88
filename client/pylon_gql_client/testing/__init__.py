"""For validators' tests: a fake client over canned data, and a real local server.

- `FakeAsyncPylonClient` / `FakePylonClient`: the client's API answered from a JSON file or the
  built-in sample, judging arguments by the server's rules (`pylon_gql_client.rules`); override
  an answer (`answer`), make a method raise (`fail`), read the calls (`calls`, `calls_to`).
- `vectors`: inputs and the server's verdict on each (`vectors.json`), shared by the client's
  and the server's tests.
- `local_server()` / `local_server_sync()`: `pylon-gql serve` on its simulated chain in a
  subprocess, with a connected client (needs the server package installed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..sync import PylonClient
from .fake import FakeAsyncPylonClient
from .local import LocalServer, local_server, local_server_sync, server_installed
from .sample import sample_data
from .script import Call


class FakePylonClient(PylonClient):
    """`PylonClient`'s API over a `FakeAsyncPylonClient` (available as `fake`)."""

    def __init__(
        self, data: Mapping[str, Any] | str | Path | None = None, *, block_time: float | None = 0.1
    ) -> None:
        super().__init__("http://fake.invalid")
        self.fake = FakeAsyncPylonClient(data, block_time=block_time)
        self.aio = self.fake  # type: ignore[assignment]  # same API, by name

    @property
    def calls(self) -> list[Call]:
        return self.fake.calls

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return self.fake.calls_to(method)

    def answer(self, method: str, value: Any) -> None:
        self.fake.answer(method, value)

    def fail(self, method: str, error: BaseException) -> None:
        self.fake.fail(method, error)

    def reset(self, method: str | None = None) -> None:
        self.fake.reset(method)

    def produce_blocks(self, count: int = 1) -> Any:
        return self.fake.produce_blocks(count)


__all__ = [
    "Call",
    "FakeAsyncPylonClient",
    "FakePylonClient",
    "LocalServer",
    "local_server",
    "local_server_sync",
    "sample_data",
    "server_installed",
]
