"""The storage items the simnet keeps, keyed with the metadata's hashers and encoded with its
types, and the lookups the `state_*` storage methods make in them.

One map of key -> encoded value is built per entry and block, on first use, and kept in the
answer cache. Any other key reads as absent, as an unset key does on a node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..runtime import Runtime, StorageEntry
from ..state import BlockState
from .cache import AnswerCache
from .params import hex_bytes, to_hex


class Storage:
    """The storage of every block, as far as the simnet keeps it."""

    def __init__(self, runtime: Runtime, cache: AnswerCache) -> None:
        self.runtime = runtime
        self.cache = cache
        self._builders: dict[tuple[str, str], Callable[[BlockState], dict[bytes, bytes]]] = {
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
        self._builders = {k: v for k, v in self._builders.items() if k in runtime.storage}

    def _map(self, state: BlockState, entry: StorageEntry) -> dict[bytes, bytes]:
        key = (state.hash, entry.pallet, entry.name)
        found = self.cache.get(key)
        if found is None:
            builder = self._builders.get((entry.pallet, entry.name))
            found = builder(state) if builder is not None else {}
            self.cache.put(key, found, 64 + sum(len(k) + len(v) + 64 for k, v in found.items()))
        return found

    def _entries_under(self, prefix: bytes) -> list[StorageEntry]:
        if len(prefix) >= 32:
            entry = self.runtime.storage_by_prefix.get(prefix[:32])
            return [] if entry is None else [entry]
        return [
            self.runtime.storage[key]
            for key in self._builders
            if self.runtime.storage[key].prefix.startswith(prefix)
        ]

    def value(self, state: BlockState, key: bytes) -> bytes | None:
        """The encoded value of a full storage key at a block; None when absent."""
        entries = self._entries_under(key)
        if not entries or len(key) < 32:
            return None
        return self._map(state, entries[0]).get(key)

    def values(self, state: BlockState, keys: list[str]) -> dict[str, str | None]:
        """The values (hex, None when absent) of storage keys (hex) at a block."""
        values: dict[str, str | None] = {}
        for key in keys:
            found = self.value(state, hex_bytes(key, "key"))
            values[key] = None if found is None else to_hex(found)
        return values

    def keys_with(self, state: BlockState, prefix: bytes) -> list[bytes]:
        """Every key under `prefix` at a block, sorted."""
        keys: list[bytes] = []
        for entry in self._entries_under(prefix):
            keys.extend(k for k in self._map(state, entry) if k.startswith(prefix))
        keys.sort()
        return keys

    # -- builders: one map of storage key -> encoded value per entry and block ------------

    def _encode_map(
        self, pallet: str, name: str, items: list[tuple[tuple[Any, ...], Any]]
    ) -> dict[bytes, bytes]:
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
