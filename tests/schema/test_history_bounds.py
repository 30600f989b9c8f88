"""The blocks of a `history` series and its bounds (PYLON_MAX_HISTORY_POINTS)."""

from __future__ import annotations

import pytest

from pylon_gql.schema.errors import BadUserInput
from pylon_gql.schema.history import history_blocks

from .fakes import FIRST_BLOCK
from .test_limits import cost_of, make_settings


def test_the_series_blocks_and_its_bounds() -> None:
    assert history_blocks(100, 145, 10, 500) == [100, 110, 120, 130, 140]
    assert history_blocks(7, 7, 1, 1) == [7]
    with pytest.raises(BadUserInput, match="PYLON_MAX_HISTORY_POINTS") as caught:
        history_blocks(0, 500, 1, 500)  # 501 points
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "maxPoints": 500}
    for start, end, step in ((0, 10, 0), (10, 9, 1), (-1, 5, 1)):
        with pytest.raises(BadUserInput):
            history_blocks(start, end, step, 500)


async def test_a_series_costs_each_cold_point() -> None:
    settings = make_settings(cold_block_cost=1000, max_cost_anonymous=10**9)
    head = FIRST_BLOCK + 10  # the fake's head, the one block its cold reader holds
    document = f"{{ history(fromBlock: {head - 9}, toBlock: {head}) {{ neuronCount }} }}"
    _, extensions = await cost_of(settings, document)
    # history + 10 x neuronCount, and the 9 blocks before the head, which it does not hold
    assert extensions["cost"]["estimated"] == 1 + 10 + 9 * 1000
