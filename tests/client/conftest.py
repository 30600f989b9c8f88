"""A real server for the client: the simnet (manual blocks) and the app under uvicorn, which a
test may stop and start again on the same port; and a proxy that can answer in its place."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import uvicorn
from aiohttp import web
from pylon_gql_client import AsyncPylonClient

from pylon_gql.cli import UVICORN_WS
from pylon_gql.http import create_app
from pylon_gql.services import Services
from pylon_gql.simnet import Simnet, SimnetConfig
from tests.e2e.conftest import PATIENCE, settings_for, wait_for_health

from .waiting import eventually


class Server:
    """The app under uvicorn, over services that outlive it (so a restart keeps the chain)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def simnet(self) -> Simnet:
        assert self.services.simnet is not None
        return self.services.simnet

    async def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.services.settings, self.services),
            host="127.0.0.1",
            port=self.port,
            ws=UVICORN_WS,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=self.services.settings.keep_alive,
            timeout_graceful_shutdown=1,
        )
        server = self._server = uvicorn.Server(config)
        task = self._task = asyncio.create_task(server.serve())
        async with asyncio.timeout(PATIENCE):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.02)
        self.port = server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, task = self._server, self._task
        if server is not None and task is not None:
            server.should_exit = True
            await task
        self._server = self._task = None

    async def produce_blocks(self, count: int = 1) -> int:
        """Make `count` more blocks final and wait until the server's head is the last of them;
        its number."""
        target = self.simnet.finalized_number + count
        while self.simnet.finalized_number < target:
            await self.simnet.produce_blocks(1)

        def arrived() -> bool:
            head = self.services.reader.head
            return head is not None and head.number >= target

        await eventually(arrived)
        return target

    async def wait_for_head(self, number: int) -> None:
        """Until the server's head is at `number` or past it."""

        def arrived() -> bool:
            head = self.services.reader.head
            return head is not None and head.number >= number

        await eventually(arrived)

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict:
        """The raw JSON answer over plain HTTP (httpx, not the client under test)."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=self.url, timeout=PATIENCE) as http:
            response = await http.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
        return response.json()


#: Bearer tokens of the test server's roles.
VALIDATOR_TOKEN = "client-tests-validator"
OWNER_TOKEN = "client-tests-owner"


@contextlib.asynccontextmanager
async def serving(data_dir: Path, **settings: Any) -> AsyncIterator[Server]:
    """The app over a simnet that makes a block per extrinsic (and otherwise when told), with
    the tests' tokens and no committer of its own, until /health answers."""
    services = Services(
        settings_for(
            network="sim",
            data_dir=data_dir,
            validator_tokens=VALIDATOR_TOKEN,
            owner_tokens=OWNER_TOKEN,
            auto_commit=False,
            **settings,
        ),
        simnet_config=SimnetConfig(port=0, manual=True, auto_produce_on_submit=True),
    )
    await services.start()
    served = Server(services)
    try:
        await served.start()
        async with httpx.AsyncClient(base_url=served.url, timeout=PATIENCE) as http:
            await wait_for_health(http)
        yield served
    finally:
        await served.stop()
        await services.stop()


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    async with serving(tmp_path_factory.mktemp("client-server")) as served:
        yield served


#: The tempo `subnet2` sets: an epoch every 10 blocks.
SUBNET2_TEMPO = 9


@pytest.fixture(scope="module")
async def subnet2(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """A server of its own (one per module) on subnet 2, where the simnet's dev validator is
    registered (on subnet 1 it is not: commits are refused there), with epochs of 10 blocks and
    no rate limit on weights."""
    async with serving(
        tmp_path_factory.mktemp("client-subnet2"),
        netuid=2,
        commit_window_start_offset=2,
        commit_window_end_buffer=2,
    ) as server:
        async with AsyncPylonClient(server.url, OWNER_TOKEN) as owner:
            await eventually(lambda: server.services.reader.head is not None)
            for name, value in (("tempo", SUBNET2_TEMPO), ("weights_set_rate_limit", 0)):
                done = await owner.set_hyperparameter(name, value)
                await server.wait_for_head(done.block.number)
        yield server


@pytest.fixture
async def client(server: Server) -> AsyncIterator[AsyncPylonClient]:
    async with AsyncPylonClient(server.url, timeout=PATIENCE, backoff=0.01) as client:
        yield client


@dataclass
class Proxy:
    """Forwards /graphql to the server, unless told to answer the next requests itself."""

    upstream: str
    url: str = ""
    #: (status, JSON body or None) answered instead of forwarding, first in first out.
    canned: list[tuple[int, Any]] = field(default_factory=list)
    requests: int = 0
    forwarded: int = 0
    #: Called with the request's number (from 1) before it is answered.
    on_request: Callable[[int], None] | None = None
    #: Hold every request until the test ends (a server that never answers).
    hang: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)
    #: The `Authorization` header of each request (forwarded as is).
    authorizations: list[str | None] = field(default_factory=list)

    def answer_next(self, status: int, body: Any = None, times: int = 1) -> None:
        self.canned.extend([(status, body)] * times)


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[Proxy]:
    proxy = Proxy(upstream=server.url + "/graphql")

    async def handle(request: web.Request) -> web.StreamResponse:
        proxy.requests += 1
        authorization = request.headers.get("authorization")
        proxy.authorizations.append(authorization)
        if proxy.on_request is not None:
            proxy.on_request(proxy.requests)
        if proxy.hang:
            await proxy.released.wait()
        if proxy.canned:
            status, body = proxy.canned.pop(0)
            if body is None:
                return web.Response(status=status, text="Service Unavailable")
            return web.json_response(body, status=status)
        proxy.forwarded += 1
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                proxy.upstream,
                data=await request.read(),
                headers={"content-type": "application/json"}
                | ({"authorization": authorization} if authorization else {}),
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )

    app = web.Application()
    app.router.add_post("/graphql", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    proxy.url = f"http://127.0.0.1:{port}"
    try:
        yield proxy
    finally:
        proxy.released.set()
        await runner.cleanup()


def graphql_error(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    """An answer with one GraphQL error, as the server words it."""
    return {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}],
    }
