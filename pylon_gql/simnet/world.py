"""The simulated chain: produces blocks, keeps their headers and bodies, and the states of
recent blocks, like a pruned node.

A block is the previous state moved on by the drift (`drift.py`), then by the pool's
transactions. The world does not know how a transaction runs: whoever assembles the node hands
it the write path (`ApplyTransactions`, the dispatcher's `apply`), so data flows one way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from .drift import Drift, age_commits
from .genesis import GENESIS_HASH, first_state
from .keys import seeded_hash
from .runtime import Runtime
from .snapshot import Snapshot
from .state import BlockDraft, BlockHeader, BlockState, header_hash
from .transaction import Transaction

# headers the simnet has below the snapshot (their states are pruned)
ANCESTORS = 16


class ApplyTransactions(Protocol):
    """The write path as the world sees it: run `transactions` in order on the block being
    built (extrinsic indexes from `first_index`) and return their System.Events records."""

    def __call__(
        self, block: BlockDraft, transactions: Sequence[Transaction], first_index: int
    ) -> list[dict[str, Any]]: ...


class World:
    """The simnet's chain: produces blocks, keeps the headers, and the states of recent blocks."""

    def __init__(
        self,
        runtime: Runtime,
        snapshot: Snapshot,
        *,
        apply_transactions: ApplyTransactions,
        seed: int = 0,
        block_time: float = 12.0,
        finality_lag: int = 2,
        history: int = 256,
        archive: bool = False,
        start_timestamp_ms: int | None = None,
        synthetic_neurons: int = 256,
        synthetic_validators: int = 8,
        weights_per_validator: int = 16,
    ) -> None:
        self.runtime = runtime
        self.snapshot = snapshot
        self.apply_transactions = apply_transactions
        self.seed = seed
        self.drift = Drift(runtime, seed)
        self.block_time_ms = round(block_time * 1000)
        self.finality_lag = finality_lag
        self.history = max(1, history)
        self.archive = archive
        self.headers: dict[str, BlockHeader] = {}
        self.hash_by_number: dict[int, str] = {}
        self.states: dict[str, BlockState] = {}
        # block hash -> the signed extrinsics in its body (kept like headers, never pruned)
        self.bodies: dict[str, tuple[bytes, ...]] = {}
        # valid transactions waiting for the next block, in arrival order
        self.pool: list[Transaction] = []
        # valid transactions whose nonce is ahead of their signer's next one, as a node's
        # future queue keeps them: they join the pool when the gap fills
        self.future: list[Transaction] = []
        self.genesis_hash = GENESIS_HASH
        if start_timestamp_ms is None:
            start_timestamp_ms = int(time.time() * 1000)
        first = first_state(
            runtime,
            snapshot,
            seed=seed,
            timestamp_ms=start_timestamp_ms,
            synthetic_neurons=synthetic_neurons,
            synthetic_validators=synthetic_validators,
            weights_per_validator=weights_per_validator,
        )
        self._keep_genesis()
        self._keep_ancestors(first.header)
        self._keep(first)
        self.head = first
        self.first_number = first.number
        self.finalized_number = first.number

    # -- chain navigation ---------------------------------------------------------------------

    @property
    def head_number(self) -> int:
        return self.head.number

    @property
    def finalized_hash(self) -> str:
        return self.hash_by_number[self.finalized_number]

    def state_of(self, block_hash: str) -> BlockState | None:
        return self.states.get(block_hash)

    def is_pruned(self, block_hash: str) -> bool:
        return block_hash in self.headers and block_hash not in self.states

    def _keep(self, state: BlockState) -> None:
        self.headers[state.hash] = state.header
        self.hash_by_number[state.number] = state.hash
        self.states[state.hash] = state

    def _keep_genesis(self) -> None:
        """The genesis header (finney's hash, the other fields made from the seed), its state
        pruned: a pruned node keeps every header, so block 0 exists but its state is
        "already discarded"."""
        self.headers[self.genesis_hash] = BlockHeader(
            number=0,
            hash=self.genesis_hash,
            parent_hash="0x" + "00" * 32,
            state_root="0x" + seeded_hash(self.seed, "genesis-state", 0).hex(),
            extrinsics_root="0x" + seeded_hash(self.seed, "genesis-extrinsics", 0).hex(),
            logs=(),
        )
        self.hash_by_number[0] = self.genesis_hash

    def _keep_ancestors(self, snapshot: BlockHeader) -> None:
        """Headers for the snapshot's last `ANCESTORS` ancestors, their states pruned.

        A client that starts at the snapshot asks for its parent (the SDK reads the runtime
        version there). The parent's hash is finney's; the simnet does not have its header,
        so its fields, and the deeper ancestors, are made from the seed (their hashes are
        blake2 of their headers, the parent's is not)."""
        parent_hash = "0x" + seeded_hash(self.seed, "ancestor", snapshot.number - ANCESTORS).hex()
        for number in range(snapshot.number - ANCESTORS, snapshot.number):
            state_root = "0x" + seeded_hash(self.seed, "ancestor-state", number).hex()
            extrinsics_root = "0x" + seeded_hash(self.seed, "ancestor-extrinsics", number).hex()
            block_hash = (
                snapshot.parent_hash
                if number == snapshot.number - 1
                else header_hash(parent_hash, number, state_root, extrinsics_root, [])
            )
            self.headers[block_hash] = BlockHeader(
                number=number,
                hash=block_hash,
                parent_hash=parent_hash,
                state_root=state_root,
                extrinsics_root=extrinsics_root,
                logs=(),
            )
            self.hash_by_number[number] = block_hash
            parent_hash = block_hash

    def _prune(self) -> None:
        """Like a pruned node: keep the state of the last `history` finalized blocks and of
        every block above them; headers and bodies stay."""
        if self.archive:
            return
        number = self.finalized_number - self.history
        while True:
            stale = self.hash_by_number.get(number)
            if stale is None or self.states.pop(stale, None) is None:
                break
            number -= 1

    def account_nonce(self, account: bytes) -> int:
        """The account's nonce at the best block (System.Account), 0 for an unknown one."""
        info = self.head.accounts.get(account)
        return 0 if info is None else info["nonce"]

    def next_index(self, account: bytes) -> int:
        """What system_accountNextIndex answers: the nonce after the pool's transactions."""
        pending = sum(1 for t in self.pool if t.signer == account)
        return self.account_nonce(account) + pending

    def submit(self, transaction: Transaction) -> None:
        """Queue a checked transaction for the next block, or in the future queue when its
        nonce is ahead of its signer's next one."""
        if transaction.nonce > self.next_index(transaction.signer):
            self.future.append(transaction)
            return
        self.pool.append(transaction)
        self._promote_future()

    def _promote_future(self) -> None:
        """Move the future transactions whose nonce is now the next one into the pool (in
        nonce order, so a filled gap releases a whole run); drop the outdated ones."""
        self.future = [t for t in self.future if t.nonce >= self.account_nonce(t.signer)]
        promoted = True
        while promoted:
            promoted = False
            for transaction in sorted(self.future, key=lambda t: t.nonce):
                if transaction.nonce == self.next_index(transaction.signer):
                    self.future.remove(transaction)
                    self.pool.append(transaction)
                    promoted = True

    def produce(self) -> tuple[BlockState, list[BlockHeader]]:
        """Produce one block (with the pool's transactions); return it and the headers it
        newly finalized, oldest first."""
        transactions, self.pool = self.pool, []
        state = self._next_state(self.head, transactions)
        self._keep(state)
        self.bodies[state.hash] = tuple(t.data for t in transactions)
        self.head = state
        self._promote_future()
        finalized = []
        target = max(self.first_number, state.number - self.finality_lag)
        while self.finalized_number < target:
            self.finalized_number += 1
            finalized.append(self.headers[self.hash_by_number[self.finalized_number]])
        self._prune()
        return state, finalized

    # -- the next block -------------------------------------------------------------------------

    def _next_state(
        self, previous: BlockState, transactions: list[Transaction] | None = None
    ) -> BlockState:
        """The block after `previous`: the drift, then the transactions, then its header."""
        number = previous.number + 1
        subnets = {
            netuid: age_commits(self.drift.move(subnet, number), number)
            for netuid, subnet in previous.subnets.items()
        }
        accounts = previous.accounts
        events: tuple[dict[str, Any], ...] = ()
        if transactions:
            block = BlockDraft(number, subnets, {**accounts}, previous.stake_threshold)
            # extrinsic 0 is the timestamp inherent
            events = tuple(self.apply_transactions(block, transactions, first_index=1))
            subnets, accounts = block.subnets, block.accounts
        slot = previous.slot + 1
        aura = "0x" + (b"\x06aura\x20" + slot.to_bytes(8, "little")).hex()
        state_root = (
            "0x" + seeded_hash(self.seed, "state", number, previous.header.state_root).hex()
        )
        extrinsics_root = "0x" + seeded_hash(self.seed, "extrinsics", number).hex()
        if transactions:
            extrinsics_root = (
                "0x"
                + seeded_hash(self.seed, "extrinsics", number, [t.hash for t in transactions]).hex()
            )
            state_root = "0x" + seeded_hash(self.seed, "state", number, state_root, events).hex()
        block_hash = header_hash(previous.hash, number, state_root, extrinsics_root, [aura])
        header = BlockHeader(
            number=number,
            hash=block_hash,
            parent_hash=previous.hash,
            state_root=state_root,
            extrinsics_root=extrinsics_root,
            logs=(aura,),
        )
        return BlockState(
            header=header,
            timestamp=previous.timestamp + self.block_time_ms,
            slot=slot,
            subnets=subnets,
            accounts=accounts,
            stake_threshold=previous.stake_threshold,
            events=events,
        )
