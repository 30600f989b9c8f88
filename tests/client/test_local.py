"""`pylon_gql_client.testing.local_server`: a real pylon-gql in a subprocess, with a client."""

from __future__ import annotations

import asyncio
import contextlib

from pylon_gql_client.testing import local_server, local_server_sync, server_installed


async def test_a_local_server_with_a_connected_client() -> None:
    assert server_installed()
    async with local_server(block_time=0.5) as client:
        chain = await client.chain()
        assert chain.simulated
        first = await client.head()
        async with contextlib.aclosing(client.subscribe_blocks(from_block=first.number)) as stream:
            async with asyncio.timeout(60):
                blocks = [await anext(stream) for _ in range(3)]
        assert [b.number for b in blocks] == [first.number, first.number + 1, first.number + 2]
        url = client.url
    # stopped afterwards
    async with asyncio.timeout(30):
        while True:
            try:
                _, writer = await asyncio.open_connection(*url.removeprefix("http://").split(":"))
            except OSError:
                break
            writer.close()
            await asyncio.sleep(0.1)


def test_the_blocking_form() -> None:
    with local_server_sync(block_time=5) as client:
        assert client.head().number > 0
        assert len(client.neurons(first=3, fields=["hotkey"])) == 3
