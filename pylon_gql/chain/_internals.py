"""Every use of turbobt's and bittensor's private internals, in one place.

Each one below is something the public API of turbobt 1.3 or bittensor 11 does not offer. An
upgrade may move any of them without notice: `tests/chain/test__internals.py` touches each name
and fails naming the package and the name, so an upgrade breaks there and not in production.

turbobt (`turbobt/substrate/client.py`, `turbobt/subtensor/...`):

- `Substrate._transport`, replaced by the caller's own: turbobt's `CacheSubtensor` wraps its
  transport in a response cache of 128 raw answers (a metagraph is hundreds of kB each), and the
  reader caches decoded models per block instead. `open_bittensor`.
- `Substrate._init_runtime()`, the metadata load: turbobt loads it lazily on the first call that
  needs it, and has no public way to load it now (at connect) or to learn whether it has.
  `load_runtime` does what it does (under its lock, `Substrate.__lock`), with a decode shared by
  the process; `runtime_loaded`.
- `Substrate._registry`, `._metadata`, `._apis`, the decoded metadata: read to share one decode
  (about a second) between clients of the same runtime, to describe `AdminUtils` calls, and to
  run a runtime API call with its decode off the event loop; `_registry` is reset after a failed
  first load, because `_init_runtime` sets it before the metadata arrives and would then take the
  runtime as loaded. `runtime_of`, `adopt_runtime`, `forget_unfinished_runtime`,
  `runtime_call_bytes`, `portable_types`.
- The shape of `_apis` (`apis[api]["methods"][method]`, with `inputs` and `output` type ids),
  which turbobt builds from the V15 metadata: `runtime_call_bytes` encodes the call with it as
  turbobt's own `Subtensor.api_call` does, and returns the answer undecoded with its type id.
- The shape of `_metadata.value` (`[magic, {"V15": {"types": {"types": [...]}}}]`): the portable
  type registry, from which `pylon_gql.scale.Codec` compiles its decoders. `portable_types`.
- `Subscription.queue` (`turbobt.substrate._models`) of an `ExtrinsicResult`: a status the caller
  read off the subscription is put back, so `wait_for_finalization` sees it again and checks the
  block's events. `requeue_status`.

bittensor (`bittensor/wallet.py`, `bittensor/keyfiles.py`):

- `Wallet._set_hotkey`, `._set_hotkeypub`, `._set_coldkey`, `._set_coldkeypub`: writing a given
  keypair (the simnet's //Alice, //Bob, //Charlie) into a wallet; the public `regenerate_*`
  methods take a mnemonic, seed or private key, not a derivation URI. `write_keypair`.
- `bittensor.keyfiles.resolve_key_password`: the password of an encrypted key from bittensor's
  own `BT_PW_<path>` variable, without a prompt (a server cannot prompt). It is in the module's
  `__all__` but not in bittensor's documented API. `password_from_env`.

Not private, but here because they exist only for turbobt's metadata: `freeze_runtime`.

A contract kept by duck typing, pinned by the same test: turbobt's transport protocol
(`BaseTransport.send(Request) -> Response(request, result, error)`, `subscribe`, `unsubscribe`,
`close`), which `transport.NodeConnection` speaks without importing turbobt.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Literal, NamedTuple, TypeVar

from bittensor.keyfiles import Keyfile, resolve_key_password
from bittensor.wallet import Wallet
from turbobt import Bittensor
from turbobt.substrate.exceptions import SubstrateException
from turbobt.substrate.extrinsic import ExtrinsicResult

from .. import runtime_metadata

T = TypeVar("T")


class Runtime(NamedTuple):
    """turbobt's decoded runtime metadata: scalecodec's registry, the metadata, the runtime APIs."""

    registry: Any
    metadata: Any
    apis: Any


# --- turbobt


def open_bittensor(transport: Any) -> Bittensor:
    """A turbobt client on `transport`, without turbobt's response cache in between."""
    bt = Bittensor(transport=transport)
    subtensor: Any = bt.subtensor
    subtensor._transport = transport
    return bt


async def load_runtime(bt: Bittensor) -> None:
    """Load the runtime metadata now (turbobt otherwise loads it on the first call needing it).

    What turbobt's `Substrate._init_runtime` does, under its lock, but with the decode shared
    by the process (`pylon_gql.runtime_metadata`): the embedded simnet has decoded the same
    bytes already. A decode of new bytes runs in a worker thread, off the event loop.
    """
    subtensor: Any = bt.subtensor
    async with subtensor._Substrate__lock:
        if subtensor._apis is not None:
            return
        answer: Any = await subtensor.state.call(
            runtime_metadata.METADATA_CALL, "0x" + runtime_metadata.V15.hex()
        )
        metadata = runtime_metadata.unwrap(answer or b"")
        if metadata is None:
            raise SubstrateException("the node answers no V15 runtime metadata")
        decoded = await asyncio.to_thread(runtime_metadata.decoded, metadata)
        apis = {
            api["name"]: api | {"methods": {method["name"]: method for method in api["methods"]}}
            for api in decoded.v15["apis"]
        }
        adopt_runtime(bt, Runtime(decoded.registry, decoded.metadata, apis))


def runtime_loaded(bt: Bittensor) -> bool:
    return bt.subtensor._apis is not None


def runtime_of(bt: Bittensor) -> Runtime | None:
    subtensor = bt.subtensor
    if subtensor._apis is None:
        return None
    return Runtime(subtensor._registry, subtensor._metadata, subtensor._apis)


def adopt_runtime(bt: Bittensor, runtime: Runtime) -> None:
    """Give `bt` the metadata another client of the same runtime decoded."""
    subtensor: Any = bt.subtensor
    subtensor._registry, subtensor._metadata, subtensor._apis = runtime


def forget_unfinished_runtime(bt: Bittensor) -> None:
    """After a failed call: undo a metadata load that did not finish.

    turbobt marks its runtime loaded (`_registry`) before the metadata arrives: a failed first
    load would otherwise leave every later call without metadata.
    """
    subtensor: Any = bt.subtensor
    if subtensor._apis is None:
        subtensor._registry = None


def freeze_runtime() -> None:
    """Exempt what exists now, the decoded runtime metadata above all, from garbage collection.

    The metadata is some 265,000 objects that live as long as the process. Left to the
    collector, every full collection walks them all: measured here, that made a metagraph decode
    about 50 % slower and stalled the event loop for 100 ms or more per block even with the
    decode in a worker thread; frozen, the stall is about 10 ms.

    Frozen without a collection first: at this point of the server's start a full collection
    took 0.2 s and found some 60 unreachable objects among 240,000, which are frozen with the
    rest (a few kB, once).
    """
    gc.freeze()


async def runtime_call_bytes(
    bt: Bittensor, api: str, method: str, block_hash: str, **params: Any
) -> tuple[bytes | None, int]:
    """turbobt's `Subtensor.api_call` up to the answer: its bytes, undecoded (None when the node
    answered nothing), and its type id in the metadata's portable registry.

    scalecodec decodes a 1024-neuron metagraph in 0.2-0.4 s of pure Python, which held the
    interpreter lock from its worker thread often enough to slow every request once per block;
    the caller decodes with `pylon_gql.scale` instead (about 20 times faster).
    """
    subtensor = bt.subtensor
    await subtensor._init_runtime()
    registry: Any = subtensor._registry
    apis: Any = subtensor._apis
    spec = apis[api]["methods"][method]
    data = bytearray()
    for param in spec["inputs"]:
        scale = registry.create_scale_object(f"scale_info::{param['type']}")
        scale.encode(params[param["name"]])
        data.extend(scale.data.data)
    response: Any = await subtensor.state.call(f"{api}_{method}", data.hex(), block_hash)
    if isinstance(response, str):  # a hex string, should turbobt hand it on undecoded
        response = bytes.fromhex(response.removeprefix("0x"))
    return (bytes(response) if response else None), int(spec["output"])


def portable_types(bt: Bittensor) -> dict[int, dict[str, Any]]:
    """The loaded V15 metadata's portable type registry, by type id."""
    metadata: Any = bt.subtensor._metadata
    return {entry["id"]: entry["type"] for entry in metadata.value[1]["V15"]["types"]["types"]}


def requeue_status(result: ExtrinsicResult, status: Any) -> None:
    """Put a transaction status back on `result`'s subscription for turbobt to read again."""
    result.subscription.queue.put_nowait(status)


# --- bittensor


def write_keypair(
    wallet: Wallet,
    key: Literal["hotkey", "coldkey"],
    keypair: Any,
    *,
    password: str | None = None,
) -> None:
    """Write `keypair` (a bittensor `Keypair`) as the wallet's `key` and its public file,
    replacing what is there.

    Encrypted with `password` when one is given; the password is never saved to the environment.
    """
    encrypt = password is not None
    if key == "hotkey":
        wallet._set_hotkey(keypair, encrypt, True, False, password)
        wallet._set_hotkeypub(keypair, True)
    else:
        wallet._set_coldkey(keypair, encrypt, True, False, password)
        wallet._set_coldkeypub(keypair, True)


def password_from_env(keyfile: Keyfile) -> str | None:
    """The key's password from bittensor's `BT_PW_<path>` variable; None, never a prompt."""
    return resolve_key_password(None, env_var_name=keyfile.env_var_name(), allow_prompt=False)
