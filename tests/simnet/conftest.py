"""Fixtures: a manual-mode simnet on a free port and an unmodified turbobt client on it; for the
write path, a simnet that makes blocks on submission, wallets of the dev keys, and extrinsics
signed exactly as turbobt signs them."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import turbobt
import websockets.asyncio.client
from bittensor.keyfiles import Keypair
from bittensor.wallet import Wallet
from turbobt.substrate.exceptions import SubstrateException
from turbobt.substrate.pallets.author import Era

from pylon_gql.simnet import Simnet, SimnetConfig, load_fixture_json

# a fixed clock makes timestamps exact in assertions
START_MS = 1_764_000_000_000
SNAPSHOT = 6852690
SNAPSHOT_HASH = "0xdb13c066e2c63969f140164fb3bfe7a0aaa7b71407fc0fe525d68e57329ef9d0"
NEURONS_LITE_1 = ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100"]
BOB = Keypair.create_from_uri("//Bob").ss58_address


@pytest.fixture(scope="session")
def fixture_json() -> dict[str, Any]:
    """The recorded finney answers, from the copy shipped inside the package."""
    return load_fixture_json("finney-netuid1-block6852690.json")


@pytest.fixture(scope="session")
async def simnet() -> AsyncIterator[Simnet]:
    """Shared by the read-mostly tests: they pass explicit block hashes, and blocks only
    ever get added, so one test producing blocks does not change what another reads."""
    config = SimnetConfig(host="127.0.0.1", port=0, manual=True, start_timestamp_ms=START_MS)
    async with Simnet(config) as sim:
        yield sim


@pytest.fixture(scope="session")
async def bt(simnet: Simnet) -> AsyncIterator[turbobt.Bittensor]:
    async with turbobt.Bittensor(simnet.url) as client:
        yield client


async def raw_request(url: str, method: str, params: Any = None, request_id: int = 1) -> Any:
    """One JSON-RPC request over a fresh websocket; the whole answer object."""
    async with websockets.asyncio.client.connect(url, max_size=2**24) as ws:
        await ws.send(
            json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        )
        while True:
            answer = json.loads(await ws.recv())
            if answer.get("id") == request_id:
                return answer


# -- the write path ------------------------------------------------------------------------------
#
# One writer simnet per test module, in manual mode with `auto_produce_on_submit` (a submission
# makes its block and `finality_lag` more), so `wait_for_finalization` returns without a
# producer. Tests of a module use different subnets or keys where they would otherwise meet.


def make_wallet(path: Path, hotkey_uri: str, coldkey_uri: str) -> Wallet:
    wallet = Wallet(f"{hotkey_uri[2:]}-{coldkey_uri[2:]}", "default", str(path))
    hotkey = Keypair.create_from_uri(hotkey_uri)
    coldkey = Keypair.create_from_uri(coldkey_uri)
    wallet._set_hotkey(hotkey, False, True, False, None)
    wallet._set_hotkeypub(hotkey, True)
    wallet._set_coldkey(coldkey, False, True, False, None)
    wallet._set_coldkeypub(coldkey, True)
    return wallet


@dataclasses.dataclass(frozen=True)
class Wallets:
    validator: Wallet  # hotkey //Bob, coldkey //Charlie
    owner: Wallet  # //Alice, both keys
    stranger: Wallet  # hotkey //Eve, coldkey //Dave: registered nowhere


@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory) -> Wallets:
    path = tmp_path_factory.mktemp("wallets")
    return Wallets(
        validator=make_wallet(path, "//Bob", "//Charlie"),
        owner=make_wallet(path, "//Alice", "//Alice"),
        stranger=make_wallet(path, "//Eve", "//Dave"),
    )


@pytest.fixture(scope="module")
async def writer() -> AsyncIterator[Simnet]:
    config = SimnetConfig(
        port=0, manual=True, auto_produce_on_submit=True, start_timestamp_ms=START_MS
    )
    async with Simnet(config) as sim:
        yield sim


@pytest.fixture(scope="module")
async def wbt(writer: Simnet, wallets: Wallets) -> AsyncIterator[turbobt.Bittensor]:
    async with turbobt.Bittensor(writer.url, wallet=wallets.validator) as client:
        yield client


@contextlib.contextmanager
def manual_blocks(simnet: Simnet) -> Iterator[None]:
    """No automatic blocks on submission inside the block: the test produces them."""
    simnet.config.auto_produce_on_submit = False
    try:
        yield
    finally:
        simnet.config.auto_produce_on_submit = True


async def signed_extrinsic(
    bt: turbobt.Bittensor,
    key: Any,
    module: str,
    function: str,
    args: dict[str, Any],
    *,
    nonce: int | None = None,
    era: Era | None = None,
    block_hash: str | None = None,
    immortal: bool = False,
) -> bytes:
    """An extrinsic signed exactly as turbobt's submitAndWatchExtrinsic signs it, not sent."""
    substrate: Any = bt.subtensor
    await substrate._init_runtime()
    call = substrate._registry.create_scale_object("Call", metadata=substrate._metadata)
    call.encode({"call_module": module, "call_function": function, "call_args": args})
    era_obj = substrate._registry.create_scale_object("Era")
    if immortal:
        era_obj.encode("00")
        block_hash = await substrate.chain.getBlockHash(0)
    else:
        header: Any = await substrate.chain.getHeader()
        era = era or Era(period=4, current=header["number"])
        era_obj.encode({"period": era.period, "current": era.current})
        block_hash = block_hash or await substrate.chain.getBlockHash(era_obj.birth(era.current))
    if nonce is None:
        nonce = await substrate.system.accountNextIndex(key.ss58_address)
    extrinsic = substrate.author._sign(
        call,
        key,
        nonce=nonce,
        era=era_obj.value,
        block_hash=block_hash,
        genesis_hash=await substrate.chain.getBlockHash(0),
        runtime_version=await substrate.state.getRuntimeVersion(),
    )
    return bytes(extrinsic.data.data)


async def submit_raw(bt: turbobt.Bittensor, data: bytes) -> Any:
    return await bt.subtensor.rpc("author_submitExtrinsic", {"bytes": "0x" + data.hex()})


def chain_error(error: BaseException) -> str:
    """The chain's name for a failed extrinsic's error, as turbobt raises it: a class of that
    name where turbobt has one, else a SubstrateException carrying the module error (or the
    DispatchError's name)."""
    if type(error).__name__ not in ("SubstrateException", "SubtensorException"):
        return type(error).__name__
    (detail,) = error.args
    return detail["name"] if isinstance(detail, dict) else str(detail)


async def raises_chain_error(name: str, awaitable: Any) -> None:
    with pytest.raises(SubstrateException) as raised:
        await awaitable
    assert chain_error(raised.value) == name


async def raw_submit(url: str, data: bytes) -> dict[str, Any]:
    """author_submitExtrinsic over a raw websocket: the node's whole answer."""
    return await raw_request(url, "author_submitExtrinsic", ["0x" + data.hex()])


def commitment_info(text: bytes) -> Any:
    return {"fields": [[{f"Raw{len(text)}": text}]]}


async def events_of(bt: turbobt.Bittensor, block_hash: str) -> list[Any]:
    return list(await bt.subtensor.system.Events.get(block_hash=block_hash) or [])
