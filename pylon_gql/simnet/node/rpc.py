"""The node's plain JSON-RPC methods (chain_*, state_*, system_*, author_*) over a world.

Block params name a block by hash (`null`: the best block); a hash the world does not know, or
whose state it has pruned, gets the error a node gives. Runtime calls go to `runtime_api.py`,
storage reads to `storage.py`; answers that depend only on a block are cached per block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from scalecodec.utils.ss58 import ss58_decode, ss58_encode

from ...scale import encode_compact
from ..errors import RpcError, invalid_params
from ..extrinsics import check
from ..hashing import blake2_256
from ..runtime import Runtime
from ..state import BlockState
from ..transaction import Transaction
from ..world import World
from .cache import AnswerCache
from .chain_api import NOMINAL_WEIGHT
from .params import hex_bytes, to_hex
from .runtime_api import RuntimeApi
from .storage import Storage

logger = logging.getLogger("pylon_gql.simnet")

SYSTEM_PROPERTIES = {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}


class Rpc:
    """The node's question-and-answer methods, by JSON-RPC name."""

    def __init__(
        self,
        world: World,
        runtime: Runtime,
        runtime_api: RuntimeApi,
        storage: Storage,
        cache: AnswerCache,
    ) -> None:
        self.world = world
        self.runtime = runtime
        self.runtime_api = runtime_api
        self.storage = storage
        self.cache = cache
        self._metadata_hex: str | None = None
        self.methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "system_chain": lambda p: "Bittensor",
            "system_name": lambda p: "Subtensor Node",
            "system_version": lambda p: "4.0.0-dev-simnet",
            "system_properties": lambda p: SYSTEM_PROPERTIES,
            "system_health": lambda p: {"peers": 8, "isSyncing": False, "shouldHavePeers": True},
            "chain_getHeader": self.chain_get_header,
            "chain_getBlock": self.chain_get_block,
            "chain_getBlockHash": self.chain_get_block_hash,
            "chain_getHead": lambda p: self.world.head.hash,
            "chain_getFinalizedHead": lambda p: self.world.finalized_hash,
            "chain_getFinalisedHead": lambda p: self.world.finalized_hash,
            "state_getRuntimeVersion": self.state_get_runtime_version,
            "chain_getRuntimeVersion": self.state_get_runtime_version,
            "state_getMetadata": self.state_get_metadata,
            "state_call": self.state_call,
            "state_getStorage": self.state_get_storage,
            "state_getStorageAt": self.state_get_storage,
            "state_getKeys": self.state_get_keys,
            "state_getKeysPaged": self.state_get_keys_paged,
            "state_queryStorageAt": self.state_query_storage_at,
            "state_queryStorage": self.state_query_storage,
            "state_getStorageHash": self.state_get_storage_hash,
            "state_getStorageSize": self.state_get_storage_size,
            "payment_queryInfo": self.payment_query_info,
            "system_dryRun": self.system_dry_run,
            "system_accountNextIndex": self.account_next_index,
            "account_nextIndex": self.account_next_index,
            "author_submitExtrinsic": self.author_submit_extrinsic,
            "author_pendingExtrinsics": lambda p: [
                to_hex(t.data) for t in (*self.world.pool, *self.world.future)
            ],
        }

    # -- blocks -----------------------------------------------------------------------------------

    def _header_hash(self, params: dict[str, Any]) -> str:
        block_hash = params.get("hash")
        if block_hash is None:
            return self.world.head.hash
        if not isinstance(block_hash, str):
            raise invalid_params("hash must be a hex string")
        return block_hash.lower()

    def chain_get_header(self, params: dict[str, Any]) -> Any:
        header = self.world.headers.get(self._header_hash(params))
        return None if header is None else header.as_json()

    def chain_get_block(self, params: dict[str, Any]) -> Any:
        header = self.world.headers.get(self._header_hash(params))
        if header is None:
            return None
        state = self.world.state_of(header.hash)
        timestamp = (
            state.timestamp
            if state is not None
            else self.world.head.timestamp
            - (self.world.head.number - header.number) * self.world.block_time_ms
        )
        body = [to_hex(data) for data in self.world.bodies.get(header.hash, ())]
        return {
            "block": {
                "header": header.as_json(),
                "extrinsics": [self._timestamp_set(timestamp), *body],
            },
            "justifications": None,
        }

    def _timestamp_set(self, timestamp: int) -> str:
        # an unsigned (bare, v4) extrinsic calling Timestamp.set(now), length-prefixed
        body = bytes((0x04, self.runtime.pallet_index["Timestamp"], 0)) + encode_compact(timestamp)
        return to_hex(encode_compact(len(body)) + body)

    def chain_get_block_hash(self, params: dict[str, Any]) -> Any:
        number = params.get("hash")
        if isinstance(number, list):
            return [self._block_hash(n) for n in number]
        return self._block_hash(number)

    def _block_hash(self, number: Any) -> str | None:
        if number is None:
            return self.world.head.hash
        if isinstance(number, str):
            try:
                number = int(number, 16) if number.startswith("0x") else int(number)
            except ValueError:
                raise invalid_params("block number must be a number or hex") from None
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise invalid_params("block number must be a non-negative number")
        if number == 0:
            return self.world.genesis_hash
        return self.world.hash_by_number.get(number)

    # -- state ------------------------------------------------------------------------------------

    def _state(self, params: dict[str, Any], *, runtime_api: bool = False) -> BlockState:
        block_hash = params.get("hash")
        if block_hash is None:
            return self.world.head
        if not isinstance(block_hash, str):
            raise invalid_params("hash must be a hex string")
        block_hash = block_hash.lower()
        state = self.world.state_of(block_hash)
        if state is not None:
            return state
        prefix = (
            "Client error: Api called for an unknown Block: "
            if runtime_api
            else "Client error: UnknownBlock: "
        )
        if self.world.is_pruned(block_hash):
            raise RpcError(4003, f"{prefix}State already discarded for {block_hash}")
        raise RpcError(4003, f"{prefix}Header was not found in the database: {block_hash}")

    def state_get_runtime_version(self, params: dict[str, Any]) -> Any:
        # one runtime for every block the simnet has a header of, pruned state or not (a
        # node keeps runtime versions by code, not by state)
        block_hash = params.get("hash")
        if not (isinstance(block_hash, str) and block_hash.lower() in self.world.headers):
            self._state(params, runtime_api=True)
        return self.runtime.runtime_version

    def state_get_metadata(self, params: dict[str, Any]) -> Any:
        self._state(params, runtime_api=True)
        if self._metadata_hex is None:
            self._metadata_hex = to_hex(self.runtime.metadata_v14_bytes)
        return self._metadata_hex

    def state_call(self, params: dict[str, Any]) -> Any:
        name = params.get("name")
        if not isinstance(name, str):
            raise invalid_params("name must be a string")
        data = hex_bytes(params.get("bytes", ""), "bytes")
        state = self._state(params, runtime_api=True)
        # the metadata is the same at every block: cache it once, not once per block
        key = (None if name.startswith("Metadata_") else state.hash, name, data)
        answer = self.cache.get(key)
        if answer is None:
            answer = to_hex(self.runtime_api.call(state, name, data))
            self.cache.put(key, answer, len(answer))
        return answer

    # -- storage ----------------------------------------------------------------------------------

    def state_get_storage(self, params: dict[str, Any]) -> Any:
        key = hex_bytes(params.get("key"), "key")
        state = self._state(params)
        value = self.storage.value(state, key)
        return None if value is None else to_hex(value)

    def state_get_keys(self, params: dict[str, Any]) -> Any:
        prefix = hex_bytes(params.get("prefix", "0x"), "prefix")
        state = self._state(params)
        return [to_hex(k) for k in self.storage.keys_with(state, prefix)]

    def state_get_keys_paged(self, params: dict[str, Any]) -> Any:
        prefix = hex_bytes(params.get("prefix") or "0x", "prefix")
        count = params.get("count")
        if not isinstance(count, int) or count < 0:
            raise invalid_params("count must be a non-negative number")
        if count > 1000:
            raise RpcError(4002, f"count exceeds maximum value. value: {count}, max: 1000")
        start = hex_bytes(params.get("startKey") or "0x", "startKey")
        state = self._state(params)
        keys = [k for k in self.storage.keys_with(state, prefix) if k > start]
        return [to_hex(k) for k in keys[:count]]

    def state_query_storage_at(self, params: dict[str, Any]) -> Any:
        keys = params.get("keys")
        if not isinstance(keys, list):
            raise invalid_params("keys must be an array")
        state = self._state(params)
        changes = []
        for key in keys:
            value = self.storage.value(state, hex_bytes(key, "key"))
            changes.append([key, None if value is None else to_hex(value)])
        return [{"block": state.hash, "changes": changes}]

    def state_get_storage_hash(self, params: dict[str, Any]) -> Any:
        value = self.storage.value(self._state(params), hex_bytes(params.get("key"), "key"))
        return None if value is None else to_hex(blake2_256(value))

    def state_get_storage_size(self, params: dict[str, Any]) -> Any:
        value = self.storage.value(self._state(params), hex_bytes(params.get("key"), "key"))
        return None if value is None else len(value)

    def state_query_storage(self, params: dict[str, Any]) -> Any:
        """The keys' values at `fromBlock`, then a change set for every later block up to
        `toBlock` (the best block when left out) where one of them changed."""
        keys = params.get("keys")
        if not isinstance(keys, list):
            raise invalid_params("keys must be an array")
        first = self._state({"hash": params.get("fromBlock")})
        last = self._state({"hash": params.get("toBlock")})
        if last.number < first.number:
            raise invalid_params("toBlock is before fromBlock")
        change_sets = []
        previous: dict[str, str | None] | None = None
        for number in range(first.number, last.number + 1):
            state = self._state({"hash": self.world.hash_by_number[number]})
            values = self.storage.values(state, keys)
            changes = [[k, v] for k, v in values.items() if previous is None or previous[k] != v]
            if changes:
                change_sets.append({"block": state.hash, "changes": changes})
            previous = values
        return change_sets

    def payment_query_info(self, params: dict[str, Any]) -> Any:
        # the simnet takes no fees: it quotes none (a decodable extrinsic is all it needs)
        hex_bytes(params.get("extrinsic"), "extrinsic")
        self._state(params)
        return {
            "weight": dict(NOMINAL_WEIGHT),
            "class": "normal",
            "partialFee": "0",
        }

    def system_dry_run(self, params: dict[str, Any]) -> Any:
        """The pool's checks of an extrinsic, without submitting it: a refused one gets the
        error a submission gets; a valid one `Ok(Ok(()))` (the call itself is not tried)."""
        check(self.runtime, self.world, hex_bytes(params.get("extrinsic"), "extrinsic"))
        return "0x0000"

    def account_next_index(self, params: dict[str, Any]) -> Any:
        account = params.get("account")
        if not isinstance(account, str):
            raise invalid_params("account must be an SS58 address")
        try:
            public_key = bytes.fromhex(ss58_decode(account))
        except ValueError:
            raise invalid_params("account must be an SS58 address") from None
        return self.world.next_index(public_key)

    def submit(self, params: dict[str, Any]) -> Transaction:
        """Check an extrinsic and put it in the pool; return the transaction (or raise the
        error a node answers)."""
        data = hex_bytes(params.get("extrinsic", params.get("bytes")), "extrinsic")
        transaction = check(self.runtime, self.world, data)
        self.world.submit(transaction)
        logger.info(
            "simnet: %s.%s from %s (nonce %d) in the pool: %s",
            transaction.pallet,
            transaction.function,
            ss58_encode(transaction.signer, 42),
            transaction.nonce,
            transaction.hash,
        )
        return transaction

    def author_submit_extrinsic(self, params: dict[str, Any]) -> Any:
        return self.submit(params).hash
