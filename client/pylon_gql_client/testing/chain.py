"""The fake's chain: the canned answers at one head, the blocks produced since, and the reads
the server judges the arguments of (block references, neuron lists)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator, Callable, Mapping
from datetime import timedelta
from typing import Any, Unpack

from .. import rules
from ..api import NeuronQuery
from ..models import (
    Block,
    BlockRef,
    Chain,
    Commitment,
    Epoch,
    Hyperparameters,
    Metagraph,
    Neuron,
    NeuronFilter,
    NeuronOrder,
    NeuronOrderField,
    OrderDirection,
    Subnet,
)
from ..subnet_models import SubnetInfo
from .refusals import (
    bad_input,
    block_in_future,
    check_account,
    check_float,
    check_ints,
    not_found,
    variable_refused,
)
from .sample import admin_calls
from .subnets import SubnetData, check_netuid

#: Neuron attribute each order field sorts by.
ORDER_KEYS: dict[NeuronOrderField, str] = {
    NeuronOrderField.UID: "uid",
    NeuronOrderField.STAKE: "stake",
    NeuronOrderField.EMISSION: "emission",
    NeuronOrderField.RANK: "rank",
    NeuronOrderField.INCENTIVE: "incentive",
    NeuronOrderField.CONSENSUS: "consensus",
    NeuronOrderField.TRUST: "trust",
    NeuronOrderField.VALIDATOR_TRUST: "validator_trust",
    NeuronOrderField.DIVIDENDS: "dividends",
    NeuronOrderField.LAST_UPDATE: "last_update",
    NeuronOrderField.PRUNING_SCORE: "pruning_score",
}


class FakeChain:
    """What the fake reads: canned models (writes replace some), blocks by number.

    The server's subnet's answers are attributes (the writes land there); the other subnets'
    are in `others`, by netuid, and `subnet_list` is what `subnets(...)` lists."""

    def __init__(self, canned: Mapping[str, Any]) -> None:
        self.head = Block.model_validate(canned["head"])
        self.blocks: dict[int, Block] = {self.head.number: self.head}
        self.info = Chain.model_validate(canned["chain"])
        self.epoch = Epoch.model_validate(canned["epoch"])
        self.hyperparameters = Hyperparameters.model_validate(canned["hyperparameters"])
        self.subnet = Subnet.model_validate(canned["subnet"])
        self.commitments = [Commitment.model_validate(c) for c in canned["commitments"]]
        self.metagraph = Metagraph.model_validate(canned["metagraph"])
        self.others = {
            int(netuid): SubnetData.from_json(answers)
            for netuid, answers in canned.get("otherSubnets", {}).items()
            if int(netuid) != self.metagraph.netuid
        }
        self.subnet_list = [SubnetInfo.model_validate(s) for s in canned.get("subnets", ())]
        self.admin_calls = admin_calls()
        self._new_block = asyncio.Event()
        self._listeners: list[Callable[[Block], None]] = []

    # --- blocks

    @property
    def head_ref(self) -> BlockRef:
        return BlockRef(number=self.head.number, hash=self.head.hash)

    def on_block(self, listener: Callable[[Block], None]) -> None:
        """Call `listener` with each block produced from now on."""
        self._listeners.append(listener)

    def produce_blocks(self, count: int = 1) -> Block:
        """Move the head `count` blocks on (12 s apart); the new head."""
        for _ in range(count):
            head = self.head
            number = head.number + 1
            self.head = Block(
                number=number,
                hash="0x" + hashlib.sha256(f"{head.hash}{number}".encode()).hexdigest(),
                parent_hash=head.hash,
                timestamp=None
                if head.timestamp is None
                else head.timestamp + timedelta(seconds=12),
            )
            self.blocks[number] = self.head
            for listener in self._listeners:
                listener(self.head)
        self._new_block.set()
        return self.head

    def resolve(self, block: int | None) -> BlockRef | None:
        """Check a `block` argument as the server does (BAD_USER_INPUT below 0,
        BLOCK_IN_FUTURE past the head); the block's ref when the fake knows it (the head when
        None). Older blocks give None: the fake keeps no state there and answers the canned."""
        check_ints(block=block)
        if block is None:
            return self.head_ref
        problem = rules.block_number_problem(block)
        if problem is not None:
            raise bad_input(problem)
        problem = rules.future_block_problem(block, self.head.number)
        if problem is not None:
            raise block_in_future(problem, self.head.number)
        known = self.blocks.get(block)
        return None if known is None else BlockRef(number=known.number, hash=known.hash)

    def ref_at(self, number: int) -> BlockRef:
        """Block `number`'s ref (at most the head): a block the fake never made (one before
        its first head) gets a hash made up from its number."""
        known = self.blocks.get(number)
        if known is not None:
            return BlockRef(number=known.number, hash=known.hash)
        return BlockRef(
            number=number, hash="0x" + hashlib.sha256(f"fake block {number}".encode()).hexdigest()
        )

    def block(self, number: int | None, hash: str | None) -> Block | None:
        check_ints(number=number)
        if number is not None and hash is not None:
            raise bad_input("give `number` or `hash`, not both")
        if hash is not None:
            problem = rules.block_hash_problem(hash)
            if problem is not None:
                raise bad_input(problem)
            return next((b for b in self.blocks.values() if b.hash == hash.lower()), None)
        if number is None:
            return self.head
        self.resolve(number)
        if number not in self.blocks:
            raise not_found(
                f"the node knows no block {number}; ask for a block the node keeps, or run the "
                "server with PYLON_ARCHIVE_NETWORK set to an archive node"
            )
        return self.blocks[number]

    async def blocks_from(
        self, number: int | None, block_time: float | None
    ) -> AsyncGenerator[Block]:
        """The blocks from `number` (the next produced one when None), then each new one. The
        server streams from the head + 1 at most; older blocks the fake does not know are
        skipped. While it waits, a block is produced every `block_time` seconds, as a chain
        makes them (None: only when the test makes one)."""
        head = self.head.number
        if number is not None and number > head + 1:
            raise block_in_future(
                f"block {number} is in the future: the head is {head}; subscribe from the head "
                "+ 1 at most",
                head,
            )
        next_number = head + 1 if number is None else number
        while True:
            while next_number <= self.head.number:
                if next_number in self.blocks:
                    yield self.blocks[next_number]
                next_number += 1
            self._new_block.clear()
            try:
                async with asyncio.timeout(block_time):
                    await self._new_block.wait()
            except TimeoutError:
                self.produce_blocks(1)

    # --- subnets

    def served(self, netuid: int | None, number: int) -> SubnetData:
        """Subnet `netuid`'s answers (the server's subnet when None); NOT_FOUND, as the
        server's, for a subnet the fake does not have (`number`: the block asked)."""
        if netuid is None or netuid == self.metagraph.netuid:
            return SubnetData(
                self.epoch, self.hyperparameters, self.subnet, self.commitments, self.metagraph
            )
        found = self.others.get(netuid)
        if found is None:
            known = sorted([self.metagraph.netuid, *self.others])
            raise not_found(
                f"subnet {netuid} does not exist at block {number} (the fake has subnets "
                f"{', '.join(map(str, known))})"
            )
        return found

    def at(self, block: int | None, netuid: int | None) -> tuple[BlockRef | None, SubnetData]:
        """A read of one subnet at `block`, judged in the server's order: the netuid, the
        block (see `resolve`), then whether the subnet exists there."""
        check_netuid(netuid)
        ref = self.resolve(block)
        number = ref.number if ref is not None else block if block is not None else 0
        return ref, self.served(netuid, number)

    # --- neurons

    @property
    def uids(self) -> dict[str, int]:
        """hotkey -> uid of the registered neurons."""
        return {n.hotkey: n.uid for n in self.metagraph.neurons}

    def metagraph_at(self, ref: BlockRef | None, netuid: int | None = None) -> Metagraph:
        """Subnet `netuid`'s canned metagraph (the server's subnet's when None), said to be for
        `ref` (the fake keeps one state, every block's; None: an older block, answered as
        canned)."""
        metagraph = self.served(netuid, self.head.number if ref is None else ref.number).metagraph
        if ref is None or ref == metagraph.block:
            return metagraph
        neurons = [n.model_copy(update={"block": ref}) for n in metagraph.neurons]
        return metagraph.model_copy(update={"block": ref, "neurons": neurons})

    def neurons(
        self,
        max_page_size: int,
        ref: BlockRef | None,
        *,
        netuid: int | None = None,
        **query: Unpack[NeuronQuery],
    ) -> list[Neuron]:
        """The neurons a list keeps, in its order and page, its arguments judged in the
        server's order: the page, then the filter's account keys."""
        where, order_by = query.get("where"), query.get("order_by")
        first, offset = query.get("first"), query.get("offset", 0)
        condition = (
            where if isinstance(where, NeuronFilter) else NeuronFilter.model_validate(where or {})
        )
        order = (
            order_by
            if isinstance(order_by, NeuronOrder)
            else NeuronOrder.model_validate(order_by or {})
        )
        check_ints(first=first, offset=offset)
        for index, uid in enumerate(condition.uids or ()):
            problem = rules.int_problem(uid)
            if problem is not None:
                raise variable_refused("where", problem, f".uids[{index}]")
        if condition.min_stake is not None:
            check_float("where", condition.min_stake, ".minStake")
        if condition.updated_within_blocks is not None:
            problem = rules.int_problem(condition.updated_within_blocks)
            if problem is not None:
                raise variable_refused("where", problem, ".updatedWithinBlocks")
            if condition.updated_within_blocks < 0:
                raise bad_input(
                    "`updatedWithinBlocks` must be 0 or more; got "
                    f"{condition.updated_within_blocks}"
                )
        problem = rules.page_problem(first, offset, max_page_size)
        if problem is not None:
            raise bad_input(problem)
        for what, keys in (("hotkey", condition.hotkeys), ("coldkey", condition.coldkeys)):
            for key in keys or ():
                check_account(key, what)
        metagraph = self.metagraph_at(ref, netuid)
        number = metagraph.block.number
        kept = [n for n in metagraph.neurons if _keeps(condition, n, number)]
        key = ORDER_KEYS[order.field]
        kept.sort(key=lambda n: n.uid)
        kept.sort(key=lambda n: getattr(n, key), reverse=order.direction == OrderDirection.DESC)
        end = None if first is None else offset + first
        return kept[offset:end][:max_page_size]


def _keeps(condition: NeuronFilter, neuron: Neuron, number: int) -> bool:
    checks: list[Callable[[], bool]] = [
        lambda: condition.active is None or neuron.active == condition.active,
        lambda: (
            condition.validator_permit is None
            or neuron.validator_permit == condition.validator_permit
        ),
        lambda: condition.uids is None or neuron.uid in condition.uids,
        lambda: condition.hotkeys is None or neuron.hotkey in condition.hotkeys,
        lambda: condition.coldkeys is None or neuron.coldkey in condition.coldkeys,
        lambda: condition.min_stake is None or neuron.stake >= condition.min_stake,
        lambda: (
            condition.updated_within_blocks is None
            or number - neuron.last_update <= condition.updated_within_blocks
        ),
    ]
    return all(check() for check in checks)
