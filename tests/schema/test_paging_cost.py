"""The cost estimate of a neuron page: its `first` bounds the list inside it."""

from __future__ import annotations

from .test_limits import cost_of, make_settings


async def test_a_pages_first_bounds_the_list_inside_it() -> None:
    settings = make_settings(cold_block_cost=1000)
    document = "{ metagraph { neuronPage(first: 10) { totalCount neurons { uid hotkey } } } }"
    answer, paged = await cost_of(settings, document)
    assert answer["errors"] == [], answer
    # metagraph + neuronPage + totalCount + neurons + 10 x (uid + hotkey)
    assert paged["cost"]["estimated"] == 4 + 10 * 2
    _, whole = await cost_of(settings, "{ metagraph { neuronPage { neurons { uid } } } }")
    assert whole["cost"]["estimated"] == 3 + 1024
    variables = "query ($f: Int) { metagraph { neuronPage(first: $f) { neurons { uid } } } }"
    answer, _ = await cost_of(settings, variables)
    assert answer["errors"] == []
