"""ChainClient: the one adapter over turbobt.

Domain calls go in, each at an explicit block hash (turbobt caches a "latest" answer forever);
frozen `models` come out, and turbobt's and the websocket's failures come out as
`errors.ChainError`s. A block older than the node keeps is asked again of the archive node, when
one is configured. Every call is counted and timed in `metrics`.

This module holds the reads and the plumbing; the writes are in `extrinsics`, the mapping of
turbobt's dicts to models in `decode`, and every use of turbobt's private internals in
`_internals`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import websockets
from scalecodec.utils.ss58 import ss58_decode
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from turbobt import Bittensor
from turbobt.substrate.exceptions import SubstrateException, UnknownBlock

from .. import metrics
from ..models import (
    AdminCall,
    Block,
    BlockRef,
    Commitment,
    ExtrinsicReceipt,
    Metagraph,
    Neuron,
)
from ..redaction import redact, redact_url
from ..scale import Codec
from ..settings import Settings
from . import _internals, extrinsics
from .deadline import deadline_in
from .decode import (
    as_hex,
    block_from_raw,
    commitment_from_raw,
    header_number,
)
from .errors import (
    BlockNotFound,
    BlockPruned,
    ChainError,
    ChainUnavailable,
    SubscriptionUnsupported,
)
from .extrinsics import InBlockCallback
from .full_reads import FullMetagraphReads
from .hyperparameter_reads import HyperparameterReads
from .neuron_reuse import NeuronReuse
from .rpc_errors import block_error, is_transient, is_unknown_method
from .subnet_reads import SubnetReads
from .transport import NodeConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts at one read while the node is busy or the connection drops; what still fails is
#: `ChainUnavailable`. At a 30% error rate eight in a row fail once in 15,000 calls.
MAX_ATTEMPTS = 8
#: 50 ms doubling to 1 s (3.55 s over eight attempts, if the deadline allows), jittered so
#: that the clients of a node shedding load do not all come back at once.
RETRY_WAIT = wait_exponential_jitter(initial=0.05, max=1.0, jitter=0.05)

#: Decoded runtime metadata by (genesis hash, spec version), shared by the clients of a process.
_RUNTIMES: dict[tuple[str, int], _internals.Runtime] = {}
#: SCALE codecs compiled from each runtime's metadata, kept with it (so its id stays its own).
_CODECS: dict[int, tuple[object, Codec]] = {}


def _codec_of(bt: Bittensor) -> Codec:
    """The codec of `bt`'s loaded runtime (its metadata's portable type registry)."""
    runtime = _internals.runtime_of(bt)
    if runtime is None:
        raise ChainUnavailable("the runtime metadata is not loaded")
    found = _CODECS.get(id(runtime.metadata))
    if found is None or found[0] is not runtime.metadata:
        found = (runtime.metadata, Codec(_internals.portable_types(bt)))
        _CODECS[id(runtime.metadata)] = found
    return found[1]


class ChainClient(FullMetagraphReads, HyperparameterReads, SubnetReads):
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
        #: The node's URL as it is shown (errors, logs): a provider's key in it redacted.
        self.url = redact_url(url)
        self.timeout = timeout
        #: Writes wait for inclusion and finality: blocks, not a round trip.
        self.write_timeout = max(8 * timeout, 120.0)
        self.archive = archive
        self.name = name
        #: The signer's lock shared with other replicas on the same database (`extrinsics`);
        #: set by `Services` when there are any to share with.
        self.signer_guard: extrinsics.SignerGuard | None = None
        self._connection = transport or NodeConnection(url, open_timeout=timeout)
        #: Shared with `extrinsics`, the client's write half; no caller outside chain/ sees it.
        self._bt = _internals.open_bittensor(self._connection)
        self._runtime_frozen = False
        self._closed = False
        # unchanged neurons of a subnet are taken from its last metagraph, not decoded again
        self._neurons = NeuronReuse()

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
        if not _internals.runtime_loaded(self._bt):
            genesis = await self.genesis_hash()
            version = await self._call(
                "runtime_version", lambda bt: bt.subtensor.state.getRuntimeVersion()
            )
            key = (genesis, int(version["specVersion"]))
            runtime = _RUNTIMES.get(key)
            if runtime is None:
                await self._call("metadata", _internals.load_runtime)
                loaded = _internals.runtime_of(self._bt)
                if loaded is not None:
                    _RUNTIMES[key] = loaded
            else:
                _internals.adopt_runtime(self._bt, runtime)
                self._runtime_frozen = True  # by the client that decoded it
        if self.archive is not None:
            try:
                await self.archive.connect()
            except ChainError as exc:
                # Only old blocks need it: connect again when one is asked for.
                logger.warning("archive node %s not reachable yet: %s", self.archive.url, exc)

    async def close(self) -> None:
        self._closed = True
        with contextlib.suppress(Exception):
            await self._bt.close()
        if self.archive is not None:
            await self.archive.close()

    async def __aenter__(self) -> ChainClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- the connection

    @property
    def unreachable_for(self) -> float | None:
        """Seconds since every attempt to open a connection to the node began to fail; None
        while one is open or opens (a dropped connection that opens again is not unreachable)."""
        if not isinstance(self._connection, NodeConnection):
            return None
        since = self._connection.unreachable_since
        return None if since is None else time.monotonic() - since

    def on_connect(self, callback: Callable[[], None]) -> None:
        """Call `callback` each time a connection to the node opens (a query's read may open it
        before the follower's next attempt)."""
        if isinstance(self._connection, NodeConnection):
            self._connection.on_connect(callback)

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

    async def finalized_head(self) -> BlockRef:
        block_hash = await self._call(
            "finalized_head", lambda bt: bt.subtensor.rpc("chain_getFinalizedHead", {})
        )
        block_hash = as_hex(block_hash)
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
        return block_from_raw(ref.hash, header, millis)

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
            if type(exc) is ChainError and is_unknown_method(str(exc)):
                raise SubscriptionUnsupported(f"{self.name}: {redact(str(exc))}") from exc
            raise
        subscription = await subtensor.subscribe(subscription_id)
        try:
            while True:
                try:
                    header = await subscription.__anext__()
                except ChainError:
                    raise
                except Exception as exc:
                    raise ChainUnavailable(
                        f"{self.name}: head subscription ended: {redact(str(exc))}"
                    ) from exc
                yield header_number(header["number"])
        finally:
            await subtensor.unsubscribe(subscription_id)
            if getattr(self._connection, "connected", False):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await subtensor.chain.unsubscribeFinalizedHeads(subscription_id)

    # --- subnet data at a block

    async def metagraph(self, netuid: int, ref: BlockRef) -> Metagraph:
        async def neurons_at(bt: Bittensor) -> tuple[Neuron, ...]:
            answer, output = await _internals.runtime_call_bytes(
                bt, "NeuronInfoRuntimeApi", "get_neurons_lite", ref.hash, netuid=netuid
            )
            if answer is None:
                return ()
            codec = _codec_of(bt)
            # Off the loop all the same: decoding 1024 changed neurons takes 25 ms or so.
            return await asyncio.to_thread(self._neurons.neurons, netuid, codec, output, answer)

        neurons = await self._at("neurons_lite", neurons_at)
        if not neurons:
            # An empty answer means either no subnet or a subnet without neurons.
            await self.hyperparameters(netuid, ref)
        return Metagraph(netuid=netuid, block=ref, neurons=neurons or ())

    # `hyperparameters` and `subnet_storage`: hyperparameter_reads.HyperparameterReads

    # `subnet` and `subnets`: subnet_reads.SubnetReads

    async def commitment(self, netuid: int, hotkey: str, ref: BlockRef) -> Commitment | None:
        """What `hotkey` committed on the subnet; ValueError when it is not an SS58 address."""
        try:
            ss58_decode(hotkey)
        except (ValueError, TypeError, IndexError):  # IndexError: " ", "27" (scalecodec)
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

    # --- writes (`extrinsics`): each signed by a bittensor `Wallet`, waited for until finalized

    async def set_weights(
        self,
        netuid: int,
        weights: dict[int, float],
        wallet: Any,
        *,
        version_key: int = 0,
        on_in_block: InBlockCallback | None = None,
        mechanism: int = 0,
    ) -> ExtrinsicReceipt:
        """`SubtensorModule.set_mechanism_weights` of the subnet's `mechanism` (0: its own
        weights), signed by the hotkey."""
        return await extrinsics.set_weights(
            self,
            netuid,
            weights,
            wallet,
            version_key=version_key,
            on_in_block=on_in_block,
            mechanism=mechanism,
        )

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
        mechanism: int = 0,
    ) -> ExtrinsicReceipt:
        """`SubtensorModule.commit_timelocked_mechanism_weights` of the subnet's `mechanism`:
        the weights encrypted to the drand round they reveal at (`commit_reveal_period` epochs
        after the epoch of `at`)."""
        return await extrinsics.commit_weights(
            self,
            netuid,
            weights,
            wallet,
            at=at,
            version_key=version_key,
            block_time=block_time,
            on_in_block=on_in_block,
            mechanism=mechanism,
        )

    async def set_commitment(self, netuid: int, data: bytes, wallet: Any) -> ExtrinsicReceipt:
        """`Commitments.set_commitment` of `data` (one `Raw<n>` field), signed by the hotkey."""
        return await extrinsics.set_commitment(self, netuid, data, wallet)

    async def admin_calls(self) -> dict[str, AdminCall]:
        """The runtime's `AdminUtils.sudo_set_*` calls and their arguments, by name."""
        return await extrinsics.admin_calls(self)

    async def sudo_set(self, call: str, args: dict[str, Any], wallet: Any) -> ExtrinsicReceipt:
        """`AdminUtils.<call>(**args)`, signed by the wallet's coldkey (the subnet owner)."""
        return await extrinsics.sudo_set(self, call, args, wallet)

    # --- plumbing

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
        """One request to this node, retried while the node is busy or the connection drops,
        all within the timeout (or what is left of the request's deadline); failures out as
        `ChainError`s. Only reads come here: a retried read does no harm."""
        loop = asyncio.get_running_loop()
        deadline = deadline_in(self.timeout)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            # No attempt starts that its backoff would push past the deadline.
            stop=stop_after_attempt(MAX_ATTEMPTS) | stop_before_delay(deadline - loop.time()),
            wait=RETRY_WAIT,
            before_sleep=lambda state: logger.debug(
                "%s on %s failed (%s); retrying", call, self.url, state.outcome
            ),
            reraise=True,
        )
        try:
            return await retrying(self._attempt, call, request, deadline)
        except _Transient as exc:
            # What is left after the retries is, for the caller, a node not answering.
            raise ChainUnavailable(str(exc)) from exc.__cause__

    async def _attempt(
        self, call: str, request: Callable[[Bittensor], Awaitable[T]], deadline: float
    ) -> T:
        """One attempt at a request, timed and counted."""
        started = time.perf_counter()
        begun = asyncio.get_running_loop().time()
        outcome = "error"
        try:
            async with asyncio.timeout_at(deadline):
                result = await request(self._bt)
            outcome = "ok"
            if not self._runtime_frozen and _internals.runtime_loaded(self._bt):
                _internals.freeze_runtime()
                self._runtime_frozen = True
            return result
        except ChainError:
            raise
        except UnknownBlock as exc:
            raise block_error(str(exc), default=BlockNotFound) from exc
        except SubstrateException as exc:
            message = str(exc)
            if is_transient(message):
                raise _Transient(f"{self.name} {self.url}: {message}") from exc
            raise block_error(message, default=ChainError) from exc
        except TimeoutError as exc:
            raise ChainUnavailable(
                f"{self.name} {self.url} did not answer {call} within {deadline - begun:.3g} s"
            ) from exc
        except (OSError, websockets.WebSocketException) as exc:
            if self._closed:
                raise ChainUnavailable(f"{self.name} {self.url}: the client is closed") from exc
            # A dropped connection: the transport reconnects on the next attempt.
            raise _Transient(f"{self.name} {self.url} unreachable: {redact(str(exc))}") from exc
        finally:
            if outcome == "error":
                _internals.forget_unfinished_runtime(self._bt)
            metrics.CHAIN_CALLS.labels(call, outcome).inc()
            metrics.CHAIN_LATENCY.labels(call).observe(time.perf_counter() - started)


class _Transient(ChainUnavailable):
    """A failure worth another attempt: the node shed load or is rate limiting, or the
    connection dropped."""
