"""`PylonClient`, the blocking client: from a plain script, and refused inside an event loop."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import pytest
from pylon_gql_client import AsyncPylonClient, PylonClient, SyncClientInEventLoop

from .conftest import Server

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pylon_gql_client import PylonClient, InvalidInput

    with PylonClient(sys.argv[1]) as client:
        head = client.head()
        top = client.neurons(
            head.number, fields=["stake"], order_by={"field": "STAKE", "direction": "DESC"}, first=3
        )
        blocks = client.subscribe_blocks(from_block=head.number - 1)
        streamed = [next(blocks).number, next(blocks).number]
        blocks.close()
        try:
            client.neuron(70000)
        except InvalidInput as error:
            refused = error.code
    print(json.dumps({
        "head": head.number,
        "top": [n.uid for n in top],
        "streamed": streamed,
        "refused": refused,
    }))
    """
)


async def test_from_a_plain_script(server: Server) -> None:
    await server.produce_blocks(2)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SCRIPT,
        server.url,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    printed = json.loads(out)
    async with AsyncPylonClient(server.url) as client:
        head = await client.head()
        top = await client.neurons(
            printed["head"], order_by={"field": "STAKE", "direction": "DESC"}, first=3
        )
    assert printed["head"] == head.number
    assert printed["top"] == [n.uid for n in top]
    assert printed["streamed"] == [head.number - 1, head.number]
    assert printed["refused"] == "BAD_USER_INPUT"


async def test_inside_an_event_loop_it_raises_the_documented_error(server: Server) -> None:
    client = PylonClient(server.url)
    with pytest.raises(SyncClientInEventLoop, match="AsyncPylonClient"):
        client.head()
    with pytest.raises(RuntimeError):  # it is a RuntimeError too
        client.chain()
    # from a thread it works
    head = await asyncio.to_thread(client.head)
    assert head.number > 0
    await asyncio.to_thread(client.close)


def test_the_same_methods_as_the_async_client() -> None:
    public = {name for name in dir(AsyncPylonClient) if not name.startswith("_")}
    assert public <= set(dir(PylonClient))
    assert PylonClient.head.__doc__ == AsyncPylonClient.head.__doc__
