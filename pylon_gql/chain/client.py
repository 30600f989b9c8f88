"""ChainClient: the one adapter over turbobt.

Domain calls go in, each at an explicit block hash (turbobt caches a "latest" answer forever);
frozen `models` come out, and turbobt's and the websocket's failures come out as
`errors.ChainError`s. A block older than the node keeps is asked again of the archive node, when
one is configured. Every call is counted and timed in `metrics`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import gc
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

import bittensor_drand
import scalecodec
import websockets
from scalecodec.utils.ss58 import ss58_decode
from turbobt import Bittensor
from turbobt.substrate.exceptions import SubstrateException, UnknownBlock
from turbobt.substrate.extrinsic import ExtrinsicResult

from .. import metrics
from ..models import (
    AdminCall,
    AdminCallArg,
    AxonInfo,
    Block,
    BlockRef,
    Commitment,
    ExtrinsicReceipt,
    Hyperparameters,
    Metagraph,
    Neuron,
    PrometheusInfo,
    Subnet,
)
from ..settings import Settings
from .errors import (
    BlockNotFound,
    BlockPruned,
    ChainError,
    ChainUnavailable,
    ExtrinsicFailed,
    SubnetNotFound,
    SubscriptionUnsupported,
)
from .transport import NodeConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")

U16_MAX = 65535

#: Decoded runtime metadata by (genesis hash, spec version), shared by the clients of a process.
_RUNTIMES: dict[tuple[str, int], tuple[Any, Any, Any]] = {}
_PRUNED_MARKERS = ("state already discarded", "pruned")
_NO_METHOD_MARKERS = ("method not found", "not supported", "unsupported")
#: A node shedding load (jsonrpsee's -32009) is, for the caller, a node not answering.
_BUSY_MARKERS = ("server is busy", "try again later")


class ChainClient:
    """A connection to one subtensor node (and, optionally, an archive node behind it)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 15.0,
        archive: ChainClient | None = None,
        name: str = "node",
        transport: Any | None = None,
    ) -> None:
        """`transport`: a turbobt-style transport instead of a websocket to `url` (tests)."""
        self.url = url
        self.timeout = timeout
        #: Writes wait for inclusion and finality: blocks, not a round trip.
        self.write_timeout = max(8 * timeout, 120.0)
        self.archive = archive
        self.name = name
        self._connection = transport or NodeConnection(url, open_timeout=timeout)
        self._bt = Bittensor(transport=self._connection)
        # turbobt wraps the transport in a response cache of its own (128 raw answers, a
        # metagraph is hundreds of kB each); the reader caches decoded models per block instead.
        cast(Any, self._bt.subtensor)._transport = self._connection
        self._runtime_frozen = False

    @classmethod
    def from_settings(cls, settings: Settings, url: str | None = None) -> ChainClient:
        """The node `settings` name (or `url`, e.g. the embedded simnet's), with its archive."""
        url = url or settings.network_url
        if url is None:
            raise ValueError("network is `sim`: pass the simulated node's url")
        archive = None
        if settings.archive_url is not None:
            archive = cls(settings.archive_url, timeout=settings.chain_timeout, name="archive")
        return cls(url, timeout=settings.chain_timeout, archive=archive)

    # --- lifecycle

    async def connect(self) -> None:
        """Open the connection and load the runtime metadata.

        Decoding the metadata takes about a second, so it is done once per runtime and process:
        a second client of the same chain and runtime version (the archive node, a test)
        reuses the first one's decode.
        """
        subtensor = self._bt.subtensor
        if subtensor._apis is None:
            genesis = await self.genesis_hash()
            version = await self._call(
                "runtime_version", lambda bt: bt.subtensor.state.getRuntimeVersion()
            )
            key = (genesis, int(version["specVersion"]))
            runtime = _RUNTIMES.get(key)
            if runtime is None:
                await self._call("metadata", lambda bt: bt.subtensor._init_runtime())
                if subtensor._apis is not None:
                    _RUNTIMES[key] = (subtensor._registry, subtensor._metadata, subtensor._apis)
            else:
                subtensor._registry, subtensor._metadata, subtensor._apis = runtime
                self._runtime_frozen = True  # by the client that decoded it
        if self.archive is not None:
            try:
                await self.archive.connect()
            except ChainError as exc:
                # Only old blocks need it: connect again when one is asked for.
                logger.warning("archive node %s not reachable yet: %s", self.archive.url, exc)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._bt.close()
        if self.archive is not None:
            await self.archive.close()

    async def __aenter__(self) -> ChainClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- blocks

    async def genesis_hash(self) -> str:
        block_hash = await self._call("block_hash", lambda bt: bt.subtensor.chain.getBlockHash(0))
        if block_hash is None:
            raise ChainError("the node has no genesis block")
        return block_hash

    async def spec_version(self, block_hash: str) -> int:
        """Runtime spec version at a block."""
        version = await self._at(
            "runtime_version", lambda bt: bt.subtensor.state.getRuntimeVersion(block_hash)
        )
        return int(version["specVersion"])

    async def best_head(self) -> BlockRef:
        header = await self._call("header", lambda bt: bt.subtensor.chain.getHeader())
        if header is None:
            raise ChainError("the node has no best block")
        number = int(header["number"])
        return BlockRef(number, await self._require_hash(number))

    async def finalized_head(self) -> BlockRef:
        block_hash = await self._call(
            "finalized_head", lambda bt: bt.subtensor.rpc("chain_getFinalizedHead", {})
        )
        block_hash = _hex(block_hash)
        number = await self.block_number(block_hash)
        if number is None:
            raise ChainError(f"the node has no header for its finalized head {block_hash}")
        return BlockRef(number, block_hash)

    async def block_hash(self, number: int) -> str | None:
        """Hash of block `number` on the node's canonical chain, None past its head."""
        return await self._call("block_hash", lambda bt: bt.subtensor.chain.getBlockHash(number))

    async def block_number(self, block_hash: str) -> int | None:
        """Number of the block with this hash, None when the node does not know it."""
        try:
            header = await self._call("header", lambda bt: bt.subtensor.chain.getHeader(block_hash))
        except BlockNotFound:
            return None
        return None if header is None else int(header["number"])

    async def block(self, ref: BlockRef) -> Block:
        header: Any = await self._call("header", lambda bt: bt.subtensor.chain.getHeader(ref.hash))
        if header is None:
            raise BlockNotFound(f"no block {ref.hash}")
        try:
            millis: Any = await self._at(
                "timestamp", lambda bt: bt.subtensor.timestamp.Now.get(block_hash=ref.hash)
            )
        except BlockPruned:
            millis = None  # the header outlives the state: still a block, without its time
        timestamp = None
        if millis is not None:
            timestamp = datetime.datetime.fromtimestamp(int(millis) / 1000, tz=datetime.UTC)
        return Block(
            number=int(header["number"]),
            hash=ref.hash,
            parent_hash=header["parentHash"],
            timestamp=timestamp,
        )

    async def finalized_heads(self) -> AsyncIterator[int]:
        """Numbers of new finalized heads as the node announces them.

        Raises `ChainUnavailable` when the connection drops (subscribe again), and
        `SubscriptionUnsupported` when the node cannot subscribe at all (poll instead).
        """
        subtensor = self._bt.subtensor
        try:
            subscription_id = await self._call(
                "subscribe_finalized_heads",
                lambda bt: bt.subtensor.chain.subscribeFinalizedHeads(),
            )
        except ChainError as exc:
            if type(exc) is ChainError and _matches(str(exc), _NO_METHOD_MARKERS):
                raise SubscriptionUnsupported(f"{self.name}: {exc}") from exc
            raise
        subscription = await subtensor.subscribe(subscription_id)
        try:
            while True:
                try:
                    header = await subscription.__anext__()
                except ChainError:
                    raise
                except Exception as exc:
                    raise ChainUnavailable(f"{self.name}: head subscription ended: {exc}") from exc
                yield _number(header["number"])
        finally:
            await subtensor.unsubscribe(subscription_id)
            if getattr(self._connection, "connected", False):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await subtensor.chain.unsubscribeFinalizedHeads(subscription_id)

    # --- subnet data at a block

    async def metagraph(self, netuid: int, ref: BlockRef) -> Metagraph:
        def to_neurons(bt: Bittensor, decoded: Any) -> tuple[Neuron, ...]:
            decode_keys = bt.subtensor.neuron_info._decode_neuron  # account ids to SS58
            return tuple(neuron_from_raw(decode_keys(raw)) for raw in decoded or ())

        neurons = await self._at(
            "neurons_lite",
            lambda bt: _runtime_call_off_loop(
                bt, "NeuronInfoRuntimeApi", "get_neurons_lite", ref.hash, to_neurons, netuid=netuid
            ),
        )
        if not neurons:
            # An empty answer means either no subnet or a subnet without neurons.
            await self.hyperparameters(netuid, ref)
        return Metagraph(netuid=netuid, block=ref, neurons=neurons or ())

    async def hyperparameters(self, netuid: int, ref: BlockRef) -> Hyperparameters:
        raw: Any = await self._at(
            "hyperparameters",
            lambda bt: bt.subtensor.subnet_info.get_subnet_hyperparams(netuid, block_hash=ref.hash),
        )
        if raw is None:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
        return hyperparameters_from_raw(raw)

    async def subnet(self, netuid: int, ref: BlockRef) -> Subnet:
        raw: Any = await self._at(
            "dynamic_info",
            lambda bt: bt.subtensor.subnet_info.get_dynamic_info(netuid, block_hash=ref.hash),
        )
        if raw is None:
            raise SubnetNotFound(f"subnet {netuid} does not exist at block {ref.number}")
        return Subnet(
            netuid=netuid,
            name=str(raw["subnet_name"]),
            symbol=str(raw["token_symbol"]),
            owner_hotkey=str(raw["owner_hotkey"]),
            owner_coldkey=str(raw["owner_coldkey"]),
            tempo=int(raw["tempo"]),
        )

    async def commitment(self, netuid: int, hotkey: str, ref: BlockRef) -> Commitment | None:
        """What `hotkey` committed on the subnet; ValueError when it is not an SS58 address."""
        try:
            ss58_decode(hotkey)
        except (ValueError, TypeError):
            raise ValueError(f"malformed hotkey {hotkey!r}: expected an SS58 address") from None
        raw: Any = await self._at(
            "commitment",
            lambda bt: bt.subtensor.commitments.CommitmentOf.get(
                netuid, hotkey, block_hash=ref.hash
            ),
        )
        return None if raw is None else commitment_from_raw(hotkey, raw)

    async def commitments(self, netuid: int, ref: BlockRef) -> tuple[Commitment, ...]:
        """Every commitment on the subnet, by hotkey."""
        raw: Any = await self._at(
            "commitments",
            lambda bt: bt.subtensor.commitments.CommitmentOf.fetch(netuid, block_hash=ref.hash),
        )
        found = (commitment_from_raw(hotkey, item) for (_, hotkey), item in raw or ())
        return tuple(sorted((c for c in found if c is not None), key=lambda c: c.hotkey))

    # --- writes (each signed by a bittensor `Wallet`, waited for until finalized)

    async def set_weights(
        self,
        netuid: int,
        weights: dict[int, float],
        wallet: Any,
        *,
        version_key: int = 0,
        on_in_block: InBlockCallback | None = None,
    ) -> ExtrinsicReceipt:
        """`SubtensorModule.set_mechanism_weights` (mechanism 0), signed by the hotkey."""
        uids, values = _u16_weights(weights)

        async def submit(bt: Bittensor) -> ExtrinsicResult:
            return await bt.subtensor.subtensor_module.set_mechanism_weights(
                netuid, uids, 0, values, version_key=version_key, wallet=wallet
            )

        return await self._write("set_weights", submit, on_in_block)

    async def commit_weights(
        self,
        netuid: int,
        weights: dict[int, float],
        wallet: Any,
        *,
        at: BlockRef,
        version_key: int = 0,
        block_time: float = 12.0,
        on_in_block: InBlockCallback | None = None,
    ) -> ExtrinsicReceipt:
        """`SubtensorModule.commit_timelocked_mechanism_weights`: the weights encrypted to the
        drand round they reveal at (`commit_reveal_period` epochs after the epoch of `at`)."""
        uids, values = _u16_weights(weights)
        hyperparameters = await self.hyperparameters(netuid, at)
        commit, reveal_round = bittensor_drand.get_encrypted_commit(
            uids,
            values,
            version_key=version_key,
            tempo=hyperparameters.tempo,
            current_block=at.number,
            netuid=netuid,  # mechanism 0's storage index is the netuid
            subnet_reveal_period_epochs=hyperparameters.commit_reveal_period,
            block_time=block_time,
            hotkey=wallet.hotkey.public_key,
        )

        async def submit(bt: Bittensor) -> ExtrinsicResult:
            return await bt.subtensor.subtensor_module.commit_timelocked_mechanism_weights(
                netuid, commit, 0, reveal_round, commit_reveal_version=4, wallet=wallet
            )

        receipt = await self._write("commit_weights", submit, on_in_block)
        return dataclasses.replace(receipt, reveal_round=int(reveal_round))

    async def set_commitment(self, netuid: int, data: bytes, wallet: Any) -> ExtrinsicReceipt:
        """`Commitments.set_commitment` of `data` (one `Raw<n>` field), signed by the hotkey."""

        async def submit(bt: Bittensor) -> ExtrinsicResult:
            info: Any = {"fields": [[{f"Raw{len(data)}": data}]]}
            return await bt.subtensor.commitments.set_commitment(netuid, info, wallet=wallet)

        return await self._write("set_commitment", submit, None)

    async def admin_calls(self) -> dict[str, AdminCall]:
        """The runtime's `AdminUtils.sudo_set_*` calls and their arguments, by name."""
        await self._call("metadata", lambda bt: bt.subtensor._init_runtime())
        subtensor: Any = self._bt.subtensor
        registry, metadata = subtensor._registry, subtensor._metadata
        calls: dict[str, AdminCall] = {}
        for call in metadata.get_metadata_pallet("AdminUtils").calls:
            if not call.name.startswith("sudo_set_"):
                continue
            args = tuple(
                _admin_arg(registry, field["name"], field["type"]) for field in call.value["fields"]
            )
            calls[call.name] = AdminCall(call.name, args)
        return calls

    async def sudo_set(self, call: str, args: dict[str, Any], wallet: Any) -> ExtrinsicReceipt:
        """`AdminUtils.<call>(**args)`, signed by the wallet's coldkey (the subnet owner)."""

        async def submit(bt: Bittensor) -> ExtrinsicResult:
            return await bt.subtensor.author.submitAndWatchExtrinsic(
                "AdminUtils", call, args, key=wallet.coldkey
            )

        return await self._write(call, submit, None)

    async def _write(
        self,
        call: str,
        submit: Callable[[Bittensor], Awaitable[ExtrinsicResult]],
        on_in_block: InBlockCallback | None,
    ) -> ExtrinsicReceipt:
        """Submit, report the block it is included in, wait for finalization and its events.

        turbobt's `wait_for_finalization` raises on `ExtrinsicFailed` with the module error;
        here that and a refused submission are `ExtrinsicFailed`, a node that does not answer
        `ChainUnavailable`. Writes wait for blocks, so they get `write_timeout`, not `timeout`.
        """
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(self.write_timeout):
                result = await submit(self._bt)
                finalized: str | None = None
                async for status in result.subscription:
                    if isinstance(status, dict):
                        if "inBlock" in status and on_in_block is not None:
                            await on_in_block(await self._ref_of(_hex(status["inBlock"])))
                        if "finalized" in status:
                            finalized = _hex(status["finalized"])
                            # turbobt's own check of the block's events reads this status again.
                            result.subscription.queue.put_nowait(status)
                            break
                        dead = next((k for k in _DEAD_STATUSES if k in status), None)
                    else:
                        dead = status if status in _DEAD_STATUSES else None
                    if dead is not None:
                        raise ExtrinsicFailed(f"{call}: the transaction was {dead}", dead)
                await result.wait_for_finalization()
            assert finalized is not None
            outcome = "ok"
            return ExtrinsicReceipt(await self._ref_of(finalized))
        except ChainError:
            raise
        except SubstrateException as exc:
            message = str(exc) or type(exc).__name__
            if _matches(message, _BUSY_MARKERS):
                raise ChainUnavailable(f"{self.name} {self.url}: {message}") from exc
            reason, detail = _extrinsic_error(exc)
            raise ExtrinsicFailed(f"{call} failed: {detail}", reason) from exc
        except TimeoutError as exc:
            raise ChainUnavailable(
                f"{call} was not finalized within {self.write_timeout:g} s"
            ) from exc
        except (OSError, websockets.WebSocketException) as exc:
            raise ChainUnavailable(f"{self.name} {self.url} unreachable: {exc}") from exc
        finally:
            metrics.CHAIN_CALLS.labels(call, outcome).inc()
            metrics.CHAIN_LATENCY.labels(call).observe(time.perf_counter() - started)

    async def _ref_of(self, block_hash: str) -> BlockRef:
        number = await self.block_number(block_hash)
        if number is None:
            raise BlockNotFound(f"no header for block {block_hash}")
        return BlockRef(number, block_hash)

    # --- plumbing

    async def _require_hash(self, number: int) -> str:
        block_hash = await self.block_hash(number)
        if block_hash is None:
            raise BlockNotFound(f"no block {number}")
        return block_hash

    async def _at(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T:
        """A read of a block's state: retried on the archive node when this one pruned it."""
        try:
            return await self._call(call, request)
        except BlockPruned:
            if self.archive is None:
                raise
            logger.debug("%s: block pruned on %s, asking the archive", call, self.url)
            return await self.archive._at(call, request)

    async def _call(self, call: str, request: Callable[[Bittensor], Awaitable[T]]) -> T:
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(self.timeout):
                result = await request(self._bt)
            outcome = "ok"
            if not self._runtime_frozen and self._bt.subtensor._apis is not None:
                _freeze_runtime()
                self._runtime_frozen = True
            return result
        except ChainError:
            raise
        except UnknownBlock as exc:
            raise _block_error(str(exc), default=BlockNotFound) from exc
        except SubstrateException as exc:
            message = str(exc)
            if _matches(message, _BUSY_MARKERS):
                raise ChainUnavailable(f"{self.name} {self.url}: {message}") from exc
            raise _block_error(message, default=ChainError) from exc
        except TimeoutError as exc:
            raise ChainUnavailable(
                f"{self.name} {self.url} did not answer {call} within {self.timeout:g} s"
            ) from exc
        except (OSError, websockets.WebSocketException) as exc:
            raise ChainUnavailable(f"{self.name} {self.url} unreachable: {exc}") from exc
        finally:
            if outcome == "error" and self._bt.subtensor._apis is None:
                # turbobt marks its runtime loaded before the metadata arrives: a failed first
                # load would otherwise leave every later call without metadata.
                self._bt.subtensor._registry = None
            metrics.CHAIN_CALLS.labels(call, outcome).inc()
            metrics.CHAIN_LATENCY.labels(call).observe(time.perf_counter() - started)


async def _runtime_call_off_loop(
    bt: Bittensor,
    api: str,
    method: str,
    block_hash: str,
    convert: Callable[[Bittensor, Any], T],
    **params: Any,
) -> T:
    """turbobt's `Subtensor.api_call`, with the SCALE decode and `convert` in a worker thread.

    Decoding a 1024-neuron metagraph takes 0.2-0.4 s of pure Python; on the event loop it would
    stall every request the server is answering, once per block.
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
    output = registry.create_scale_object(f"scale_info::{spec['output']}")

    def decode() -> T:
        decoded = output.decode(scalecodec.ScaleBytes(response)) if response else None
        return convert(bt, decoded)

    return await asyncio.to_thread(decode)


InBlockCallback = Callable[[BlockRef], Awaitable[None]]
#: Transaction statuses after which it will never be finalized.
_DEAD_STATUSES = ("invalid", "dropped", "usurped", "finalityTimeout")
_INT_KINDS = {f"{sign}{bits}" for sign in "ui" for bits in (8, 16, 32, 64, 128)}


def _extrinsic_error(exc: SubstrateException) -> tuple[str | None, str]:
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


def _u16_weights(weights: dict[int, float]) -> tuple[list[int], list[int]]:
    """Uids in order and their weights as u16 proportions of the largest (as turbobt does)."""
    uids = sorted(weights)
    largest = max(weights.values(), default=0.0)
    if largest <= 0:
        return uids, [0 for _ in uids]
    return uids, [round(weights[uid] / largest * U16_MAX) for uid in uids]


def _admin_arg(registry: Any, name: str, type_id: int) -> AdminCallArg:
    decoder: Any = registry.get_decoder_class(f"scale_info::{type_id}")
    bases = [cls.__name__ for cls in decoder.__mro__]
    kind = bases[0].lower()
    if kind in _INT_KINDS or kind == "bool":
        return AdminCallArg(name, kind)
    if "GenericAccountId" in bases:
        return AdminCallArg(name, "account")
    mapping = getattr(decoder, "type_mapping", None)
    if "Enum" in bases and mapping and all(t == "Null" for _, t in mapping):
        return AdminCallArg(name, "enum", tuple(variant for variant, _ in mapping))
    return AdminCallArg(name, "unsupported")


def _freeze_runtime() -> None:
    """Exempt what exists now, the decoded runtime metadata above all, from garbage collection.

    The metadata is some 265,000 objects that live as long as the process. Left to the
    collector, every full collection walks them all: measured here, that made a metagraph decode
    about 50 % slower and stalled the event loop for 100 ms or more per block even with the
    decode in a worker thread; frozen, the stall is about 10 ms.
    """
    gc.collect()
    gc.freeze()


def _matches(message: str, markers: tuple[str, ...]) -> bool:
    # turbobt keeps only the JSON-RPC error's message, so the message is all there is to go by.
    message = message.lower()
    return any(marker in message for marker in markers)


def _block_error(message: str, *, default: type[ChainError]) -> ChainError:
    if _matches(message, _PRUNED_MARKERS):
        return BlockPruned(message)
    return default(message)


def _hex(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return str(value)


def _number(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _ip(value: int, ip_type: int) -> str:
    if ip_type == 6:
        return str(ipaddress.IPv6Address(value))
    return str(ipaddress.ip_address(value))


def neuron_from_raw(raw: dict[str, Any]) -> Neuron:
    """A `NeuronInfoRuntimeApi_get_neurons_lite` entry as turbobt decodes it (keys in SS58)."""
    axon, prometheus = raw["axon_info"], raw["prometheus_info"]
    stake = raw["stake"]
    stake_values = stake.values() if isinstance(stake, dict) else (value for _, value in stake)
    return Neuron(
        uid=int(raw["uid"]),
        hotkey=raw["hotkey"],
        coldkey=raw["coldkey"],
        active=bool(raw["active"]),
        axon=AxonInfo(
            ip=_ip(axon["ip"], axon["ip_type"]),
            port=int(axon["port"]),
            ip_type=int(axon["ip_type"]),
            protocol=int(axon["protocol"]),
            version=int(axon["version"]),
            block=int(axon["block"]),
        ),
        prometheus=PrometheusInfo(
            ip=_ip(prometheus["ip"], prometheus["ip_type"]),
            port=int(prometheus["port"]),
            ip_type=int(prometheus["ip_type"]),
            version=int(prometheus["version"]),
            block=int(prometheus["block"]),
        ),
        stake_rao=sum(int(value) for value in stake_values),
        rank=raw["rank"] / U16_MAX,
        emission_rao=int(raw["emission"]),
        incentive=raw["incentive"] / U16_MAX,
        consensus=raw["consensus"] / U16_MAX,
        trust=raw["trust"] / U16_MAX,
        validator_trust=raw["validator_trust"] / U16_MAX,
        dividends=raw["dividends"] / U16_MAX,
        last_update=int(raw["last_update"]),
        validator_permit=bool(raw["validator_permit"]),
        pruning_score=int(raw["pruning_score"]),
    )


def commitment_from_raw(hotkey: str, raw: dict[str, Any]) -> Commitment | None:
    """A `Commitments.CommitmentOf` registration: its first data field, as turbobt reads it.

    None when it holds no data field (nothing a reader could use), instead of failing the
    whole subnet's list the way turbobt's `_map_to_commitment` does.
    """
    field = next((f for f in raw["info"]["fields"] if isinstance(f, dict)), None)
    if not field:
        return None
    kind, value = next(iter(field.items()))
    if kind == "TimelockEncrypted" and isinstance(value, dict):
        data = _bytes(value.get("encrypted"))
        reveal_round = int(value.get("reveal_round", 0))
        return Commitment(hotkey, int(raw["block"]), data, reveal_round=reveal_round)
    return Commitment(hotkey, int(raw["block"]), _bytes(value))


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    if isinstance(value, (bytes, bytearray, list)):
        return bytes(value)
    return b""


_HYPERPARAMETER_FIELDS = tuple(f.name for f in dataclasses.fields(Hyperparameters))


def hyperparameters_from_raw(raw: dict[str, Any]) -> Hyperparameters:
    values: dict[str, Any] = {}
    for name in _HYPERPARAMETER_FIELDS:
        value = raw[name]
        values[name] = value if isinstance(value, bool) else int(value)
    return Hyperparameters(**values)
