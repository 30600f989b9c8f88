"""The root Subscription: finalized blocks as the server follows them."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from ..events import SubscriberOverflow
from .context import Info
from .errors import ApiError, BadUserInput, ErrorCode
from .types import Block


async def _block_at(info: Info, number: int) -> Block:
    reader = info.context.reader
    return Block.from_model(await reader.block(await reader.resolve(number=number)))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every finalized block the server follows, each once and in order: from "
            "`fromBlock` (at most PYLON_CACHE_BLOCKS behind the head, at most the head + 1), "
            "or from the next new block when it is left out. A subscriber that falls too far "
            "behind gets an UNAVAILABLE error naming the block to resubscribe from."
        )
    )
    async def new_block(
        self, info: Info, from_block: int | None = None
    ) -> AsyncGenerator[Block, None]:
        context = info.context
        hub, head = context.events, context.reader.head
        if hub is None or head is None:
            raise ApiError(
                "the server is not following the chain yet; retry in a few seconds",
                ErrorCode.UNAVAILABLE,
            )
        if from_block is not None:
            if from_block < 0:
                raise BadUserInput(f"fromBlock must be 0 or more; got {from_block}")
            if from_block > head.number + 1:
                raise ApiError(
                    f"block {from_block} is in the future: the head is {head.number}; "
                    "subscribe from the head + 1 at most",
                    ErrorCode.BLOCK_IN_FUTURE,
                    head=head.number,
                )
            oldest = head.number - context.settings.cache_blocks + 1
            if from_block < oldest:
                raise BadUserInput(
                    f"fromBlock {from_block} is more than {context.settings.cache_blocks} "
                    f"blocks behind the head ({head.number}): read older blocks with "
                    f"`block(number:)` and subscribe from {oldest}"
                )
        next_number = head.number + 1 if from_block is None else from_block
        # Subscribed before the replay, so no block announced meanwhile is missed.
        async with hub.subscribe() as events:
            while next_number <= head.number:
                yield await _block_at(info, next_number)
                next_number += 1
            try:
                async for event in events:
                    # The follower announces blocks in order; after a jump it may skip some.
                    while next_number < event.ref.number:
                        yield await _block_at(info, next_number)
                        next_number += 1
                    if event.ref.number == next_number:
                        block = await context.reader.block(event.ref)
                        yield Block.from_model(block)
                        next_number += 1
            except SubscriberOverflow:
                raise ApiError(
                    "this subscription fell too far behind the chain; "
                    f"subscribe again with fromBlock: {next_number}",
                    ErrorCode.UNAVAILABLE,
                    fromBlock=next_number,
                ) from None
