"""The domain's input rules: what each refuses, and that a refusal says why."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pylon_gql_client.testing import vectors

from pylon_gql.validation import (
    address_problem,
    block_hash_problem,
    block_number_problem,
    commit_refusal,
    delta_problem,
    weight_problem,
)

#: A real finney hotkey (format 42) and the same public key in format 0 (Polkadot).
HOTKEY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
POLKADOT = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"


def test_an_address_of_this_chain_passes() -> None:
    assert address_problem(HOTKEY) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "x",
        HOTKEY[:-1] + ("Z" if HOTKEY[-1] != "Z" else "Y"),  # checksum broken
        HOTKEY[:-2],  # too short
        POLKADOT,  # a valid address of another network
        "0x" + "d4" * 32,  # a public key, not an address
        " ",  # whitespace decodes to nothing (scalecodec raised IndexError)
        "\t",
        "27",  # a two-byte prefix cut short (scalecodec raised IndexError)
    ],
)
def test_what_is_not_an_address_is_refused_with_a_reason(address: str) -> None:
    problem = address_problem(address)
    assert problem is not None and "SS58" in problem


@pytest.mark.parametrize("weight", [0.0, 1.0, 1e-300, 1e300])
def test_finite_non_negative_weights_pass(weight: float) -> None:
    assert weight_problem(weight) is None


@pytest.mark.parametrize("weight", [-1.0, -1e-300, math.nan, math.inf, -math.inf])
def test_negative_or_not_finite_weights_are_refused(weight: float) -> None:
    assert weight_problem(weight) == f"weight {weight!r} is not a finite number >= 0"


def test_a_delta_may_be_negative_but_must_be_finite() -> None:
    assert delta_problem(-5.0) is None
    assert delta_problem(math.nan) == "delta nan is not a finite number"
    assert delta_problem(math.inf) is not None


def test_block_references() -> None:
    assert block_number_problem(0) is None
    assert block_number_problem(-1) == "block number must be 0 or more; got -1"
    assert block_hash_problem("0x" + "aB" * 32) is None
    for bad in ("0x1234", "ab" * 32, "0x" + "zz" * 32, "0x" + "ab" * 33, None, 12):
        problem = block_hash_problem(bad)
        assert problem is not None and "0x followed by 64 hex digits" in problem


@pytest.mark.parametrize("index", ["F7NZ", "25GpW4", "MvAtmUea", "3MrpX7cscKfRue"])
def test_an_account_index_is_no_account(index: str) -> None:
    """SS58 encodes account indices too (1 to 8 bytes, valid checksums): no key, so no hotkey
    (commitment(hotkey:) answered INTERNAL_SERVER_ERROR on them)."""
    problem = address_problem(index)
    assert problem is not None and "32-byte key" in problem


@given(st.text(max_size=60) | st.text(st.characters(categories=["Zs", "Cc", "Cf"]), max_size=8))
def test_any_text_is_judged_without_raising(text: str) -> None:
    """Blank, unicode spaces, control characters: each a reason, never an exception (which the
    schema answered as INTERNAL_SERVER_ERROR)."""
    problem = address_problem(text)
    assert problem is None or problem.startswith("not an")
    assert block_hash_problem(text) is not None or text.startswith("0x")


@pytest.mark.parametrize("vector", vectors.load()["commit_refusals"], ids=lambda v: v["why"])
def test_commit_refusals_as_the_shared_vectors_say(vector: dict[str, Any]) -> None:
    # The committer's rule, and the client's fake's (pylon_gql_client.rules), on one set.
    facts = {k: vector[k] for k in ("registered", "last_update", "weights_rate_limit", "head")}
    assert commit_refusal(**facts) == vector["reason"]
