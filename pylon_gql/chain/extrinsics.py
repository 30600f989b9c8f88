"""Writes: extrinsics signed by a bittensor `Wallet`, submitted and watched until finalized.

The write half of `ChainClient` (its write methods call these, with the client for its turbobt
handle and its reads): weights set or committed timelocked, a commitment, the subnet owner's
`AdminUtils.sudo_set_*` calls; and what the chain's refusals mean (`ExtrinsicFailed`, with the
module error as its reason).

One signer per key: every write goes through `_write`, which reads the signer's nonce and
submits under one lock per signing key (`signing_lock`), so writes signed by the same key at
once (two mutations, a mutation and the committer) never take the same nonce. The lock is held
until the node has put the transaction in its pool, not until it is finalized: turbobt takes
the nonce from `system_accountNextIndex`, which counts the signer's transactions in the pool,
so the next write gets the nonce after it while this one waits for its block.

Across replicas (several servers on one database, one hotkey) the same span also holds the
client's `signer_guard`: a lock per signing key that every replica takes (a PostgreSQL advisory
lock, or a file lock beside a shared SQLite file; `pylon_gql.leadership`). Holding a lock, rather
than sending every write to the committer's leader, keeps `setCommitment` and
`setHyperparameter` answered by whichever replica a load balancer picks, with no forwarding hop
and no wait on another replica's health; the lock is held for a nonce read and a submission
(milliseconds), so serialising costs little. The in-process lock is taken first: a replica's
own writes queue in memory, and one task per replica at most waits on the shared lock. Replicas
must submit to the same node (or nodes whose pools agree): the nonce is the node's pool's count.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import bittensor_drand
import websockets
from turbobt import Bittensor
from turbobt.substrate.exceptions import SubstrateException
from turbobt.substrate.extrinsic import ExtrinsicResult

from .. import metrics
from ..models import AdminCall, BlockRef, ExtrinsicReceipt, Hyperparameters
from ..redaction import redact
from . import _internals
from .decode import U16_MAX, admin_calls_from_metadata, as_hex
from .errors import BlockNotFound, ChainError, ChainUnavailable, ExtrinsicFailed
from .rpc_errors import is_transient
from .weights_matrix import storage_index

T = TypeVar("T")


class SignerGuard(Protocol):
    """A signer's lock shared with other replicas (`pylon_gql.leadership.SignerLocks`)."""

    def hold(self, address: str) -> AbstractAsyncContextManager[None]:
        """Held from the nonce read to the submission; raises `ChainUnavailable` when it
        cannot be taken (nothing is sent then)."""
        ...


class ChainClient(Protocol):
    """What the writes need of `pylon_gql.chain.client.ChainClient` (declared here, so the
    client's module imports this one and not the other way round)."""

    name: str
    url: str
    write_timeout: float
    signer_guard: SignerGuard | None
    _bt: Bittensor

    async def _call(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T: ...
    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters: ...
    async def block_number(self, block_hash: str) -> int | None: ...


InBlockCallback = Callable[[BlockRef], Awaitable[None]]
Submit = Callable[[Bittensor], Awaitable[ExtrinsicResult]]

#: Per event loop (a lock belongs to one), the lock of each signing key (SS58 address).
_SIGNING_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def signing_lock(address: str) -> asyncio.Lock:
    """The lock a write signed by `address` holds from reading its nonce to its submission."""
    locks = _SIGNING_LOCKS.setdefault(asyncio.get_running_loop(), {})
    lock = locks.get(address)
    if lock is None:
        lock = locks[address] = asyncio.Lock()
    return lock


def _across_replicas(client: ChainClient, address: str) -> AbstractAsyncContextManager[None]:
    """The signer's lock other replicas on the same database take too (none when alone)."""
    guard = client.signer_guard
    return contextlib.nullcontext() if guard is None else guard.hold(address)


def _address(wallet: Any, key: str) -> str:
    """The SS58 address of the wallet's `hotkey` or `coldkey` (the key the write signs with)."""
    return str(getattr(wallet, key).ss58_address)


#: Transaction statuses after which it will never be finalized.
_DEAD_STATUSES = ("invalid", "dropped", "usurped", "finalityTimeout")


async def set_weights(
    client: ChainClient,
    netuid: int,
    weights: dict[int, float],
    wallet: Any,
    *,
    version_key: int,
    on_in_block: InBlockCallback | None,
    mechanism: int = 0,
) -> ExtrinsicReceipt:
    uids, values = u16_weights(weights)

    async def submit(bt: Bittensor) -> ExtrinsicResult:
        return await bt.subtensor.subtensor_module.set_mechanism_weights(
            netuid, uids, mechanism, values, version_key=version_key, wallet=wallet
        )

    return await _write(client, "set_weights", _address(wallet, "hotkey"), submit, on_in_block)


async def commit_weights(
    client: ChainClient,
    netuid: int,
    weights: dict[int, float],
    wallet: Any,
    *,
    at: BlockRef,
    version_key: int,
    block_time: float,
    on_in_block: InBlockCallback | None,
    mechanism: int = 0,
) -> ExtrinsicReceipt:
    uids, values = u16_weights(weights)
    hyperparameters = await client.hyperparameters(netuid, at)
    commit, reveal_round = bittensor_drand.get_encrypted_commit(
        uids,
        values,
        version_key=version_key,
        tempo=hyperparameters.tempo,
        current_block=at.number,
        # the mechanism's storage index, as the SDKs encrypt it (mechanism 0's is the netuid)
        netuid=storage_index(netuid, mechanism),
        subnet_reveal_period_epochs=hyperparameters.commit_reveal_period,
        block_time=block_time,
        hotkey=wallet.hotkey.public_key,
    )

    async def submit(bt: Bittensor) -> ExtrinsicResult:
        return await bt.subtensor.subtensor_module.commit_timelocked_mechanism_weights(
            netuid, commit, mechanism, reveal_round, commit_reveal_version=4, wallet=wallet
        )

    signer = _address(wallet, "hotkey")
    receipt = await _write(client, "commit_weights", signer, submit, on_in_block)
    return dataclasses.replace(receipt, reveal_round=int(reveal_round))


async def set_commitment(
    client: ChainClient, netuid: int, data: bytes, wallet: Any
) -> ExtrinsicReceipt:
    async def submit(bt: Bittensor) -> ExtrinsicResult:
        info: Any = {"fields": [[{f"Raw{len(data)}": data}]]}
        return await bt.subtensor.commitments.set_commitment(netuid, info, wallet=wallet)

    return await _write(client, "set_commitment", _address(wallet, "hotkey"), submit, None)


async def admin_calls(client: ChainClient) -> dict[str, AdminCall]:
    await client._call("metadata", _internals.load_runtime)
    runtime = _internals.runtime_of(client._bt)
    assert runtime is not None  # loaded above, or `_call` raised
    return admin_calls_from_metadata(runtime.registry, runtime.metadata)


async def sudo_set(
    client: ChainClient, call: str, args: dict[str, Any], wallet: Any
) -> ExtrinsicReceipt:
    async def submit(bt: Bittensor) -> ExtrinsicResult:
        return await bt.subtensor.author.submitAndWatchExtrinsic(
            "AdminUtils", call, args, key=wallet.coldkey
        )

    return await _write(client, call, _address(wallet, "coldkey"), submit, None)


def u16_weights(weights: dict[int, float]) -> tuple[list[int], list[int]]:
    """Uids in order and their weights as u16 proportions of the largest (as turbobt does)."""
    uids = sorted(weights)
    largest = max(weights.values(), default=0.0)
    if largest <= 0:
        return uids, [0 for _ in uids]
    return uids, [round(weights[uid] / largest * U16_MAX) for uid in uids]


def extrinsic_error(exc: SubstrateException) -> tuple[str | None, str]:
    """The module error's name (`BadOrigin`), or the pool's reason, and a readable detail."""
    arg = exc.args[0] if exc.args else None
    if isinstance(arg, dict):
        if "name" in arg:  # a module error turbobt has no exception class for
            docs = " ".join(arg.get("docs") or ())
            return str(arg["name"]), f"{arg['name']}: {docs}".strip(": ")
        if "message" in arg:  # the pool refused it (1010 Invalid Transaction, ...)
            data = arg.get("data")
            detail = f"{arg['message']}: {data}" if data else str(arg["message"])
            return str(arg["message"]), detail
    if isinstance(arg, str) and arg.isidentifier():  # a dispatch error: `BadOrigin`, ...
        return arg, arg
    if type(exc) is not SubstrateException:  # turbobt's class named after the module error
        name = type(exc).__name__
        return name, f"{name}: {exc}".strip(": ")
    return None, str(exc) or type(exc).__name__


async def _write(
    client: ChainClient,
    call: str,
    signer: str,
    submit: Submit,
    on_in_block: InBlockCallback | None,
) -> ExtrinsicReceipt:
    """Submit (under the signer's lock), report the block it is included in, wait for
    finalization and its events.

    turbobt's `wait_for_finalization` raises on `ExtrinsicFailed` with the module error;
    here that and a refused submission are `ExtrinsicFailed`, a node that does not answer
    `ChainUnavailable`. Writes wait for blocks, so they get `write_timeout`, not `timeout`
    (the wait for the signer's locks included).
    """
    started = time.perf_counter()
    outcome = "error"
    try:
        async with asyncio.timeout(client.write_timeout):
            # turbobt reads the nonce (system_accountNextIndex) and submits in `submit`; the
            # answer to author_submitAndWatchExtrinsic means the pool holds the transaction.
            async with signing_lock(signer), _across_replicas(client, signer):
                result = await submit(client._bt)
            finalized: str | None = None
            async for status in result.subscription:
                if isinstance(status, dict):
                    if "inBlock" in status and on_in_block is not None:
                        await on_in_block(await _block_ref(client, as_hex(status["inBlock"])))
                    if "finalized" in status:
                        finalized = as_hex(status["finalized"])
                        # turbobt's own check of the block's events reads this status again.
                        _internals.requeue_status(result, status)
                        break
                    dead = next((k for k in _DEAD_STATUSES if k in status), None)
                else:
                    dead = status if status in _DEAD_STATUSES else None
                if dead is not None:
                    raise ExtrinsicFailed(f"{call}: the transaction was {dead}", dead)
            await result.wait_for_finalization()
        assert finalized is not None
        outcome = "ok"
        return ExtrinsicReceipt(await _block_ref(client, finalized))
    except ChainError:
        raise
    except SubstrateException as exc:
        message = str(exc) or type(exc).__name__
        if is_transient(message):
            raise ChainUnavailable(f"{client.name} {client.url}: {message}") from exc
        reason, detail = extrinsic_error(exc)
        raise ExtrinsicFailed(f"{call} failed: {detail}", reason) from exc
    except TimeoutError as exc:
        raise ChainUnavailable(
            f"{call} was not finalized within {client.write_timeout:g} s"
        ) from exc
    except (OSError, websockets.WebSocketException) as exc:
        # The transport's text may hold the node's URL, and with it a provider's key.
        raise ChainUnavailable(
            f"{client.name} {client.url} unreachable: {redact(str(exc))}"
        ) from exc
    finally:
        metrics.CHAIN_CALLS.labels(call, outcome).inc()
        metrics.CHAIN_LATENCY.labels(call).observe(time.perf_counter() - started)


async def _block_ref(client: ChainClient, block_hash: str) -> BlockRef:
    number = await client.block_number(block_hash)
    if number is None:
        raise BlockNotFound(f"no header for block {block_hash}")
    return BlockRef(number, block_hash)
