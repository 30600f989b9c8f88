"""PYLON_ALLOWED_HOSTS (Starlette's TrustedHostMiddleware), as a DNS-rebinding page meets it: a
request whose Host header names another host gets 400 (HTTP and the websocket's handshake), on
uvicorn on a free port, with raw Host headers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from pydantic import ValidationError

from pylon_gql.settings import Settings
from tests.e2e.conftest import running, settings_for
from tests.http.test_app import FakeChain

#: The headers of a websocket handshake (RFC 6455), graphql-transport-ws.
WEBSOCKET = (
    "upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\n"
    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-protocol: graphql-transport-ws\r\n"
)


async def status_for(url: str, host: str, path: str = "/health", extra: str = "") -> int:
    """The status line's code of a GET with exactly this Host header (and `extra` header
    lines), over a plain socket."""
    address, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    try:
        connection = "" if extra else "connection: close\r\n"
        writer.write(f"GET {path} HTTP/1.1\r\nhost: {host}\r\n{connection}{extra}\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
    return int(status_line.split()[1])


async def test_a_server_bound_to_localhost_answers_only_its_own_names() -> None:
    chain = FakeChain()
    chain.reader.head_number, chain.age = 1010, 1.0
    settings = settings_for()
    assert settings.host == "127.0.0.1"
    async with running(settings, chain) as url:
        port = url.rsplit(":", 1)[1]
        for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
            assert await status_for(url, host) == 200, host
        for host in (
            "evil.example",
            f"evil.example:{port}",
            f"rebind.attacker.test:{port}",
            "localhost.evil.example",
            f"127.0.0.2:{port}",
        ):
            assert await status_for(url, host) == 400, host
            assert await status_for(url, host, "/graphql?query=%7B__typename%7D") == 400, host
        # The websocket's handshake too: a page cannot subscribe through a rebound name. (A
        # handshake with exactly one Host header, as a browser sends it: websockets' client
        # adds a second, which h11 refuses on its own and httptools does not.)
        assert await status_for(url, f"evil.example:{port}", "/graphql", WEBSOCKET) == 400
        assert await status_for(url, f"localhost:{port}", "/graphql", WEBSOCKET) == 101
        ws_url = url.replace("http", "ws", 1) + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
            pass


async def test_the_listed_hosts_and_domains_are_answered_and_no_other() -> None:
    settings = settings_for(allowed_hosts="api.example.com, *.internal.example")
    async with running(settings, FakeChain()) as url:
        for host in ("api.example.com", "api.example.com:443", "pylon.internal.example"):
            assert await status_for(url, host) == 503, host  # answered: no head yet
        for host in ("localhost", "127.0.0.1", "example.com", "internal.example.evil"):
            assert await status_for(url, host) == 400, host


async def test_a_server_bound_to_every_address_answers_any_name() -> None:
    settings = settings_for(host="0.0.0.0")
    assert settings.allowed_host_list == ["*"]
    async with (
        running(settings, FakeChain()) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        response = await client.get("/health", headers={"host": "whatever.example"})
        assert response.status_code == 503  # answered: no head yet


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", ["localhost", "127.0.0.1", "[::1]"]),
        ("localhost", ["localhost", "127.0.0.1", "[::1]"]),
        ("::1", ["localhost", "127.0.0.1", "[::1]"]),
        ("127.0.0.5", ["localhost", "127.0.0.1", "[::1]", "127.0.0.5"]),
        ("0.0.0.0", ["*"]),
        ("::", ["*"]),
        ("10.1.2.3", ["10.1.2.3"]),
        ("fd00::1", ["[fd00::1]"]),
    ],
)
def test_the_default_covers_the_bind_address(host: str, allowed: list[str]) -> None:
    assert settings_for(host=host).allowed_host_list == allowed


@pytest.mark.parametrize("value", ["localhost:8000", "a,,b", "*example.com", "api.*.com", "::1"])
def test_malformed_lists_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="allowed_hosts"):
        Settings(_env_file=None, allowed_hosts=value)  # type: ignore[call-arg]
