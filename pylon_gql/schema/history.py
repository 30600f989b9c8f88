"""`history(fromBlock, toBlock, step, netuid)`: a subnet's metagraph at evenly spaced blocks.

Each point is a `Metagraph`, so a chart asks for any of its fields (one neuron's stake, the
validators' trust, the neuron count) at every point. The points are read as any block is, from
the reader's per-block cache or the node (the archive node for blocks the node has pruned), a
bounded number at a time; at most PYLON_MAX_HISTORY_POINTS of them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, cast

import strawberry

from .context import Info
from .deadline import longer_deadline, within_longer
from .errors import BadUserInput
from .neurons import Metagraph

#: Points read from the chain at once: a cold 1024-neuron metagraph is one runtime call.
POINTS_IN_FLIGHT = 8

FromBlock = Annotated[int, strawberry.argument(description="The first block of the series.")]
ToBlock = Annotated[
    int,
    strawberry.argument(
        description="The last block at most (the series may end before it, at a whole step); "
        "past the head is BLOCK_IN_FUTURE."
    ),
]
Step = Annotated[
    int, strawberry.argument(description="Blocks between two points (1: every block).")
]


def history_blocks(start: int, end: int, step: int, most: int) -> list[int]:
    """The blocks of a series, checked: `start`, `start + step`, ... up to `end`."""
    if step < 1:
        raise BadUserInput(f"`step` must be 1 or more; got {step}")
    if start < 0 or end < start:
        raise BadUserInput(
            f"`fromBlock` must be 0 or more and at most `toBlock`; got {start} to {end}"
        )
    points = (end - start) // step + 1
    if points > most:
        raise BadUserInput(
            f"{points} points asked for ({start} to {end}, every {step}); at most {most} "
            "(PYLON_MAX_HISTORY_POINTS): raise `step` or narrow the range",
            maxPoints=most,
        )
    return list(range(start, end + 1, step))


async def history_of(
    info: Info, start: int, end: int, step: int, netuid: int | None
) -> list[Metagraph]:
    """The series' points, each an awaitable the executor awaits (typed as the field is).

    A cold point reads and decodes a whole metagraph (tens of ms for 1024 neurons), so a long
    series may run for PYLON_HISTORY_TIMEOUT instead of the request's usual limits. The points
    are handed over as awaitables: the executor completes each point's selection as soon as it
    is read, so a point's metagraph is let go then (but for the reader's per-block cache), not
    kept until the last point is in (500 of them would be over half a gigabyte).
    """
    reader = info.context.reader
    numbers = history_blocks(start, end, step, info.context.settings.max_history_points)
    await reader.resolve(number=end)  # BLOCK_IN_FUTURE before any read
    deadline = longer_deadline(info.context.settings.history_timeout)
    turns = asyncio.Semaphore(POINTS_IN_FLIGHT)

    async def point(number: int) -> Metagraph:
        async with turns:
            with within_longer(deadline):
                ref = await reader.resolve(number=number)
                return Metagraph.from_model(await reader.metagraph(ref, netuid))

    return cast(list[Metagraph], [point(number) for number in numbers])
