"""The contract suite: the same calls on the real server and on the fake, the same answers.

The fake answers from canned data (64 uids of the simulated subnet 1), the server from the
simnet (1024 uids), and the server's writes land in blocks of their own: the checks compare a
method with another on one side, or both sides' outcomes (an error's code, the entries a
refusal names, what a write reads back), never numbers of one data set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from pylon_gql_client import AsyncPylonClient, PylonError
from pylon_gql_client.testing import FakeAsyncPylonClient

from ..conftest import OWNER_TOKEN, VALIDATOR_TOKEN, Server

Api = AsyncPylonClient | FakeAsyncPylonClient
T = TypeVar("T")

#: A valid SS58 address that is no neuron's hotkey.
STRANGER = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"


@dataclass(frozen=True)
class Outcome:
    """What a call came to: the error's code (None when it succeeded) and, for a refused
    write, the indices of the entries it named."""

    code: str | None
    entries: tuple[int | None, ...] = ()


async def outcome(call: Awaitable[T]) -> tuple[Outcome, T | None]:
    """The call's outcome, and its answer when it succeeded."""
    try:
        answer = await call
    except PylonError as error:
        entries = tuple(entry.get("index") for entry in error.extensions.get("entries", ()))
        return Outcome(error.code, entries), None
    return Outcome(None), answer


def client_for(side: str, server: Server, token: str | None = None) -> Api:
    """The real client of `server` with `token`, or a fake (which takes any caller)."""
    return AsyncPylonClient(server.url, token) if side == "server" else FakeAsyncPylonClient()


@pytest.fixture(params=["server", "fake"])
async def api(request: pytest.FixtureRequest, server: Server) -> AsyncIterator[Api]:
    async with client_for(request.param, server) as client:
        yield client


@pytest.fixture(params=["server", "fake"])
async def writer(request: pytest.FixtureRequest, server: Server) -> AsyncIterator[Api]:
    """A client with the validator's token."""
    async with client_for(request.param, server, VALIDATOR_TOKEN) as client:
        yield client


@pytest.fixture(params=["server", "fake"])
async def owner(request: pytest.FixtureRequest, server: Server) -> AsyncIterator[Api]:
    """A client with the subnet owner's token."""
    async with client_for(request.param, server, OWNER_TOKEN) as client:
        yield client


async def settled(api: Api, server: Server, block: int) -> None:
    """Until `api` answers at `block`: the server's follower sees a write's block a little
    after the write returns; the fake has it at once."""
    if isinstance(api, AsyncPylonClient):
        await server.wait_for_head(block)


@dataclass
class Sides:
    """The real server (a client per role) and a fake, to send one input to both."""

    server: Server
    validator: AsyncPylonClient
    owner: AsyncPylonClient
    fake: FakeAsyncPylonClient

    async def both(
        self, call: Callable[[Api], Awaitable[T]], *, as_owner: bool = False
    ) -> tuple[tuple[Outcome, T | None], tuple[Outcome, T | None]]:
        """`call` on the server (the validator's client, or the owner's) and on the fake."""
        real = self.owner if as_owner else self.validator
        return await outcome(call(real)), await outcome(call(self.fake))


@pytest.fixture
async def sides(server: Server) -> AsyncIterator[Sides]:
    async with (
        AsyncPylonClient(server.url, VALIDATOR_TOKEN) as validator,
        AsyncPylonClient(server.url, OWNER_TOKEN) as owner,
    ):
        yield Sides(server, validator, owner, FakeAsyncPylonClient())
