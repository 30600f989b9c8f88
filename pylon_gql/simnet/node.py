"""The node's JSON-RPC methods over a World: what a subtensor node would answer.

Answers that depend only on a block are cached on that block's state, keyed by method and
params, so a 1024-neuron metagraph is encoded once per block and then served from memory.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from scalecodec.utils.ss58 import ss58_encode

from .runtime import Runtime, StorageEntry
from .scale import encode_compact
from .world import GENESIS_HASH, BlockState, Subnet, World

logger = logging.getLogger("pylon_gql.simnet")

SYSTEM_PROPERTIES = {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}


class RpcError(Exception):
    """An error answer: code, message and optional data, as the node sends it."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def method_not_found() -> RpcError:
    return RpcError(-32601, "Method not found")


def invalid_params(detail: str) -> RpcError:
    return RpcError(-32602, "Invalid params", detail)


# param names in the node's order, so a list of params maps onto the same names
PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "chain_getHeader": ("hash",),
    "chain_getBlock": ("hash",),
    "chain_getBlockHash": ("hash",),
    "chain_getFinalizedHead": (),
    "state_getRuntimeVersion": ("hash",),
    "state_getMetadata": ("hash",),
    "state_call": ("name", "bytes", "hash"),
    "state_getStorage": ("key", "hash"),
    "state_getStorageAt": ("key", "hash"),
    "state_getKeys": ("prefix", "hash"),
    "state_getKeysPaged": ("prefix", "count", "startKey", "hash"),
    "state_queryStorageAt": ("keys", "hash"),
    "system_accountNextIndex": ("account",),
    "account_nextIndex": ("account",),
    "author_submitExtrinsic": ("extrinsic",),
    "author_submitAndWatchExtrinsic": ("extrinsic",),
    "author_unwatchExtrinsic": ("subscription",),
    "author_pendingExtrinsics": (),
}
# what other clients call these params
PARAM_ALIASES = {"at": "hash", "block": "hash", "start_key": "startKey", "data": "bytes"}


def normalize_params(method: str, params: Any) -> dict[str, Any]:
    names = PARAM_NAMES.get(method, ())
    if params is None:
        return {}
    if isinstance(params, list):
        if len(params) > len(names):
            raise invalid_params(f"{method} takes at most {len(names)} params")
        return dict(zip(names, params, strict=False))
    if isinstance(params, dict):
        return {PARAM_ALIASES.get(str(k), str(k)): v for k, v in params.items()}
    raise invalid_params("params must be an array or an object")


def _hex_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise invalid_params(f"{what} must be a hex string")
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise invalid_params(f"{what} is not valid hex") from None


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


class AnswerCache:
    """Encoded answers by (block hash, what was asked), least recently used out first.

    Bounded by size: a client that reads the 1024-neuron metagraph at every block of the kept
    history would otherwise hold 256 copies of it. Re-encoding an evicted answer costs about a
    millisecond, so a small cache loses little.
    """

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.max_bytes and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self.size -= dropped

    def __len__(self) -> int:
        return len(self._items)


class Node:
    """Answers JSON-RPC calls about a World. Subscriptions and control methods live in the
    server; this class is everything that is a plain question and answer."""

    def __init__(self, world: World, runtime: Runtime) -> None:
        self.world = world
        self.runtime = runtime
        self.cache = AnswerCache()
        self._metadata_hex: str | None = None
        # methods the server answers itself (subscriptions), listed by rpc_methods
        self.extra_methods: list[str] = []
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "rpc_methods": self.rpc_methods,
            "system_chain": lambda p: "Bittensor",
            "system_name": lambda p: "Subtensor Node",
            "system_version": lambda p: "4.0.0-dev-simnet",
            "system_properties": lambda p: SYSTEM_PROPERTIES,
            "system_health": lambda p: {"peers": 8, "isSyncing": False, "shouldHavePeers": True},
            "chain_getHeader": self.chain_get_header,
            "chain_getBlock": self.chain_get_block,
            "chain_getBlockHash": self.chain_get_block_hash,
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
            "system_accountNextIndex": self.account_next_index,
            "account_nextIndex": self.account_next_index,
            "author_submitExtrinsic": self.author_submit_extrinsic,
            "author_pendingExtrinsics": lambda p: [_hex(t.data) for t in self.world.pool],
        }
        self._calls: dict[str, Callable[[BlockState, dict[str, Any]], bytes]] = {
            "Metadata_metadata_at_version": self._metadata_at_version,
            "Metadata_metadata_versions": lambda s, a: self.runtime.metadata_versions(),
            "Metadata_metadata": self._metadata,
            "Core_version": self._core_version,
            "NeuronInfoRuntimeApi_get_neurons_lite": self._neurons_lite,
            "NeuronInfoRuntimeApi_get_neuron_lite": self._neuron_lite,
            "NeuronInfoRuntimeApi_get_neurons": self._neurons,
            "NeuronInfoRuntimeApi_get_neuron": self._neuron,
            "SubnetInfoRuntimeApi_get_subnet_hyperparams": self._hyperparams,
            "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2": self._hyperparams_v2,
            "SubnetInfoRuntimeApi_get_dynamic_info": self._dynamic_info,
            "SubnetInfoRuntimeApi_get_all_dynamic_info": self._all_dynamic_info,
            "SubnetInfoRuntimeApi_get_subnet_state": self._subnet_state,
        }
        self._storage: dict[tuple[str, str], Callable[[BlockState], dict[bytes, bytes]]] = {
            ("Timestamp", "Now"): self._timestamp_now,
            ("System", "Number"): self._system_number,
            ("System", "Events"): self._system_events,
            ("System", "Account"): self._system_account,
            ("Commitments", "CommitmentOf"): self._commitment_of,
            ("SubtensorModule", "Weights"): self._weights,
            ("SubtensorModule", "TimelockedWeightCommits"): self._weight_commits,
            ("SubtensorModule", "SubnetOwner"): self._subnet_owner,
            ("SubtensorModule", "SubnetOwnerHotkey"): self._subnet_owner_hotkey,
            ("SubtensorModule", "Uids"): self._uids,
            ("SubtensorModule", "Keys"): self._keys,
            ("SubtensorModule", "StakeThreshold"): self._stake_threshold,
            ("SubtensorModule", "TotalNetworks"): self._total_networks,
            ("SubtensorModule", "NetworksAdded"): self._networks_added,
            ("SubtensorModule", "Tempo"): self._tempo,
        }
        # only what this runtime's metadata has
        self._storage = {k: v for k, v in self._storage.items() if k in runtime.storage}

    def has_method(self, method: str) -> bool:
        return method in self._methods

    def method_names(self) -> list[str]:
        return sorted({*self._methods, *self.extra_methods})

    def call(self, method: str, params: Any) -> Any:
        handler = self._methods.get(method)
        if handler is None:
            raise method_not_found()
        return handler(normalize_params(method, params))

    # -- blocks -----------------------------------------------------------------------------------

    def rpc_methods(self, params: dict[str, Any]) -> Any:
        return {"methods": self.method_names()}

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
        body = [_hex(data) for data in self.world.bodies.get(header.hash, ())]
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
        return _hex(encode_compact(len(body)) + body)

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
            return GENESIS_HASH
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
            else ("Client error: UnknownBlock: ")
        )
        if self.world.is_pruned(block_hash):
            raise RpcError(4003, f"{prefix}State already discarded for {block_hash}")
        raise RpcError(4003, f"{prefix}Header was not found in the database: {block_hash}")

    def state_get_runtime_version(self, params: dict[str, Any]) -> Any:
        self._state(params, runtime_api=True)
        return self.runtime.runtime_version

    def state_get_metadata(self, params: dict[str, Any]) -> Any:
        self._state(params, runtime_api=True)
        if self._metadata_hex is None:
            self._metadata_hex = _hex(self.runtime.metadata_v14_bytes)
        return self._metadata_hex

    def state_call(self, params: dict[str, Any]) -> Any:
        name = params.get("name")
        if not isinstance(name, str):
            raise invalid_params("name must be a string")
        data = _hex_bytes(params.get("bytes", ""), "bytes")
        state = self._state(params, runtime_api=True)
        # the metadata is the same at every block: cache it once, not once per block
        key = (None if name.startswith("Metadata_") else state.hash, name, data)
        answer = self.cache.get(key)
        if answer is None:
            answer = _hex(self._runtime_call(state, name, data))
            self.cache.put(key, answer, len(answer))
        return answer

    def _runtime_call(self, state: BlockState, name: str, data: bytes) -> bytes:
        if name not in self.runtime.methods:
            raise RpcError(
                4003,
                f"Client error: Execution failed: Other: Exported method {name} is not found",
            )
        handler = self._calls.get(name)
        if handler is None:
            raise RpcError(
                4003,
                f"Client error: Execution failed: Other: {name} is not simulated by the simnet",
            )
        try:
            arguments = self.runtime.decode_call_input(name, data)
        except (ValueError, IndexError) as e:
            raise RpcError(
                4003, f"Client error: Execution failed: Could not decode the input of {name}: {e}"
            ) from None
        return handler(state, arguments)

    def _encode_output(self, name: str, value: Any) -> bytes:
        return self.runtime.codec.encode(self.runtime.methods[name].output, value)

    # -- runtime calls ----------------------------------------------------------------------------

    def _metadata_at_version(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        if arguments["version"] == 15:
            return self.runtime.metadata_at_version_15
        if arguments["version"] == 14:
            metadata = self.runtime.metadata_v14_bytes
            return b"\x01" + encode_compact(len(metadata)) + metadata
        return b"\x00"

    def _metadata(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        metadata = self.runtime.metadata_v14_bytes
        return encode_compact(len(metadata)) + metadata

    def _core_version(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        version = self.runtime.runtime_version
        return self._encode_output(
            "Core_version",
            {
                "spec_name": version["specName"],
                "impl_name": version["implName"],
                "authoring_version": version["authoringVersion"],
                "spec_version": version["specVersion"],
                "impl_version": version["implVersion"],
                "apis": [[bytes.fromhex(a[2:]), v] for a, v in version["apis"]],
                "transaction_version": version["transactionVersion"],
                "system_version": version["systemVersion"],
            },
        )

    def _neurons_lite(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        # each neuron's bytes were encoded when the record was made: join, do not re-encode
        return encode_compact(len(subnet.neurons)) + b"".join(n.encoded for n in subnet.neurons)

    def _neuron_lite(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        uid = arguments["uid"]
        if subnet is None or uid >= len(subnet.neurons):
            return b"\x00"
        return b"\x01" + subnet.neurons[uid].encoded

    def _neuron_info(self, subnet: Subnet, uid: int) -> dict[str, Any]:
        neuron = subnet.neurons[uid]
        return {
            **neuron.lite,
            "weights": subnet.weights.get(uid, []),
            "bonds": [],
        }

    def _neuron(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        uid = arguments["uid"]
        if subnet is None or uid >= len(subnet.neurons):
            return b"\x00"
        return self._encode_output(
            "NeuronInfoRuntimeApi_get_neuron", self._neuron_info(subnet, uid)
        )

    def _neurons(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        return self._encode_output(
            "NeuronInfoRuntimeApi_get_neurons",
            [self._neuron_info(subnet, n.uid) for n in subnet.neurons],
        )

    def _hyperparams(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_subnet_hyperparams",
            None if subnet is None else subnet.hyperparameters,
        )

    def _hyperparams_v2(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_subnet_hyperparams_v2",
            None if subnet is None else subnet.hyperparameters,
        )

    def _dynamic_info_value(self, state: BlockState, subnet: Subnet) -> dict[str, Any]:
        tempo = subnet.hyperparameters["tempo"]
        since = (state.number + subnet.netuid + 1) % (tempo + 1)
        pool = subnet.pool
        return {
            "netuid": subnet.netuid,
            "owner_hotkey": subnet.owner_hotkey,
            "owner_coldkey": subnet.owner_coldkey,
            "subnet_name": list(subnet.name.encode()),
            "token_symbol": list(subnet.symbol.encode()),
            "tempo": tempo,
            "last_step": state.number - since,
            "blocks_since_last_step": since,
            "emission": 0,
            "alpha_in": pool["alpha_in"],
            "alpha_out": pool["alpha_out"],
            "tao_in": pool["tao_in"],
            "alpha_out_emission": 1_000_000_000,
            "alpha_in_emission": 1_000_000_000,
            "tao_in_emission": 9_531_940,
            "pending_alpha_emission": 0,
            "pending_root_emission": 0,
            "subnet_volume": pool["subnet_volume"],
            "network_registered_at": subnet.registered_at,
            "subnet_identity": subnet.identity,
            "moving_price": {"bits": pool["moving_price"]},
        }

    def _dynamic_info(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_dynamic_info",
            None if subnet is None else self._dynamic_info_value(state, subnet),
        )

    def _all_dynamic_info(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        return self._encode_output(
            "SubnetInfoRuntimeApi_get_all_dynamic_info",
            [self._dynamic_info_value(state, s) for _, s in sorted(state.subnets.items())],
        )

    def _subnet_state(self, state: BlockState, arguments: dict[str, Any]) -> bytes:
        subnet = state.subnets.get(arguments["netuid"])
        if subnet is None:
            return b"\x00"
        neurons = subnet.neurons
        lite = [n.lite for n in neurons]
        extra = [n.extra for n in neurons]
        value = {
            "netuid": subnet.netuid,
            "hotkeys": [n["hotkey"] for n in lite],
            "coldkeys": [n["coldkey"] for n in lite],
            "active": [n["active"] for n in lite],
            "validator_permit": [n["validator_permit"] for n in lite],
            "pruning_score": [n["pruning_score"] for n in lite],
            "last_update": [n["last_update"] for n in lite],
            "emission": [n["emission"] for n in lite],
            "dividends": [n["dividends"] for n in lite],
            "incentives": [n["incentive"] for n in lite],
            "consensus": [n["consensus"] for n in lite],
            "trust": [n["trust"] for n in lite],
            "rank": [n["rank"] for n in lite],
            "block_at_registration": [e["block_at_registration"] for e in extra],
            "alpha_stake": [e["alpha_stake"] for e in extra],
            "tao_stake": [e["tao_stake"] for e in extra],
            "total_stake": [e["total_stake"] for e in extra],
            "emission_history": subnet.emission_history,
        }
        return self._encode_output("SubnetInfoRuntimeApi_get_subnet_state", value)

    # -- storage ----------------------------------------------------------------------------------

    def _storage_map(self, state: BlockState, entry: StorageEntry) -> dict[bytes, bytes]:
        key = (state.hash, entry.pallet, entry.name)
        found = self.cache.get(key)
        if found is None:
            builder = self._storage.get((entry.pallet, entry.name))
            found = builder(state) if builder is not None else {}
            self.cache.put(key, found, 64 + sum(len(k) + len(v) + 64 for k, v in found.items()))
        return found

    def _entries_under(self, prefix: bytes) -> list[StorageEntry]:
        if len(prefix) >= 32:
            entry = self.runtime.storage_by_prefix.get(prefix[:32])
            return [] if entry is None else [entry]
        return [
            self.runtime.storage[key]
            for key in self._storage
            if self.runtime.storage[key].prefix.startswith(prefix)
        ]

    def _lookup(self, state: BlockState, key: bytes) -> bytes | None:
        entries = self._entries_under(key)
        if not entries or len(key) < 32:
            return None
        return self._storage_map(state, entries[0]).get(key)

    def storage_values(self, state: BlockState, keys: list[str]) -> dict[str, str | None]:
        """The values (hex, None when absent) of storage keys (hex) at a block."""
        values: dict[str, str | None] = {}
        for key in keys:
            value = self._lookup(state, _hex_bytes(key, "key"))
            values[key] = None if value is None else _hex(value)
        return values

    def _keys_with(self, state: BlockState, prefix: bytes) -> list[bytes]:
        keys: list[bytes] = []
        for entry in self._entries_under(prefix):
            keys.extend(k for k in self._storage_map(state, entry) if k.startswith(prefix))
        keys.sort()
        return keys

    def state_get_storage(self, params: dict[str, Any]) -> Any:
        key = _hex_bytes(params.get("key"), "key")
        state = self._state(params)
        value = self._lookup(state, key)
        return None if value is None else _hex(value)

    def state_get_keys(self, params: dict[str, Any]) -> Any:
        prefix = _hex_bytes(params.get("prefix", "0x"), "prefix")
        state = self._state(params)
        return [_hex(k) for k in self._keys_with(state, prefix)]

    def state_get_keys_paged(self, params: dict[str, Any]) -> Any:
        prefix = _hex_bytes(params.get("prefix") or "0x", "prefix")
        count = params.get("count")
        if not isinstance(count, int) or count < 0:
            raise invalid_params("count must be a non-negative number")
        if count > 1000:
            raise RpcError(4002, f"count exceeds maximum value. value: {count}, max: 1000")
        start = _hex_bytes(params.get("startKey") or "0x", "startKey")
        state = self._state(params)
        keys = [k for k in self._keys_with(state, prefix) if k > start]
        return [_hex(k) for k in keys[:count]]

    def state_query_storage_at(self, params: dict[str, Any]) -> Any:
        keys = params.get("keys")
        if not isinstance(keys, list):
            raise invalid_params("keys must be an array")
        state = self._state(params)
        changes = []
        for key in keys:
            value = self._lookup(state, _hex_bytes(key, "key"))
            changes.append([key, None if value is None else _hex(value)])
        return [{"block": state.hash, "changes": changes}]

    def account_next_index(self, params: dict[str, Any]) -> Any:
        from scalecodec.utils.ss58 import ss58_decode

        account = params.get("account")
        if not isinstance(account, str):
            raise invalid_params("account must be an SS58 address")
        try:
            public_key = bytes.fromhex(ss58_decode(account))
        except ValueError:
            raise invalid_params("account must be an SS58 address") from None
        return self.world.next_index(public_key)

    def submit(self, params: dict[str, Any]) -> Any:
        """Check an extrinsic and put it in the pool; return the transaction (or raise the
        error a node answers)."""
        from .extrinsics import check

        data = _hex_bytes(params.get("extrinsic", params.get("bytes")), "extrinsic")
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

    # builders: one map of storage key -> encoded value per entry and block

    def _encode_map(self, pallet: str, name: str, items: list[tuple[tuple[Any, ...], Any]]):
        entry = self.runtime.entry(pallet, name)
        codec = self.runtime.codec
        return {entry.key(codec, *keys): codec.encode(entry.value_type, v) for keys, v in items}

    def _timestamp_now(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map("Timestamp", "Now", [((), state.timestamp)])

    def _system_number(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map("System", "Number", [((), state.number)])

    def _system_events(self, state: BlockState) -> dict[bytes, bytes]:
        success = {
            "phase": {"ApplyExtrinsic": 0},
            "event": {
                "System": {
                    "ExtrinsicSuccess": {
                        "dispatch_info": {
                            "weight": {"ref_time": 107_265_000, "proof_size": 1_493},
                            "class": "Mandatory",
                            "pays_fee": "Yes",
                        }
                    }
                }
            },
            "topics": [],
        }
        return self._encode_map("System", "Events", [((), [success, *state.events])])

    def _system_account(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "System", "Account", [((key,), info) for key, info in state.accounts.items()]
        )

    def _commitment_of(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "Commitments",
            "CommitmentOf",
            [
                ((netuid, hotkey), registration)
                for netuid, subnet in state.subnets.items()
                for hotkey, registration in subnet.commitments.items()
            ],
        )

    def _weights(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "Weights",
            [
                ((netuid, uid), weights)
                for netuid, subnet in state.subnets.items()
                for uid, weights in subnet.weights.items()
            ],
        )

    def _weight_commits(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "TimelockedWeightCommits",
            [
                ((netuid, epoch), commits)
                for netuid, subnet in state.subnets.items()
                for epoch, commits in subnet.weight_commits.items()
            ],
        )

    def _subnet_owner(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "SubnetOwner",
            [((netuid,), s.owner_coldkey) for netuid, s in state.subnets.items()],
        )

    def _subnet_owner_hotkey(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "SubnetOwnerHotkey",
            [((netuid,), s.owner_hotkey) for netuid, s in state.subnets.items()],
        )

    def _uids(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "Uids",
            [
                ((netuid, n.hotkey), n.uid)
                for netuid, subnet in state.subnets.items()
                for n in subnet.neurons
            ],
        )

    def _keys(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "Keys",
            [
                ((netuid, n.uid), n.hotkey)
                for netuid, subnet in state.subnets.items()
                for n in subnet.neurons
            ],
        )

    def _stake_threshold(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map("SubtensorModule", "StakeThreshold", [((), state.stake_threshold)])

    def _total_networks(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map("SubtensorModule", "TotalNetworks", [((), len(state.subnets))])

    def _networks_added(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule", "NetworksAdded", [((netuid,), True) for netuid in state.subnets]
        )

    def _tempo(self, state: BlockState) -> dict[bytes, bytes]:
        return self._encode_map(
            "SubtensorModule",
            "Tempo",
            [((netuid,), s.hyperparameters["tempo"]) for netuid, s in state.subnets.items()],
        )
