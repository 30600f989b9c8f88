"""The write half of ChainClient, the parts that need no chain: weights as the u16 values the
chain takes, and the chain's refusals as `ExtrinsicFailed` reasons.

Writes themselves run against the simnet in tests/e2e/test_weights_chain.py.
"""

from __future__ import annotations

from turbobt.substrate.exceptions import SubstrateException
from turbobt.subtensor.exceptions import RateLimitExceeded

from pylon_gql.chain.extrinsics import extrinsic_error, u16_weights


def test_weights_are_proportions_of_the_largest_in_uid_order() -> None:
    assert u16_weights({3: 1.0, 1: 0.5, 2: 0.0}) == ([1, 2, 3], [32768, 0, 65535])
    assert u16_weights({5: 2.0, 7: 0.5}) == ([5, 7], [65535, 16384])


def test_weights_that_are_all_zero_stay_zero() -> None:
    assert u16_weights({1: 0.0, 0: 0.0}) == ([0, 1], [0, 0])
    assert u16_weights({}) == ([], [])


def test_a_module_error_is_named_by_its_name() -> None:
    exc = SubstrateException({"name": "CommitRevealEnabled", "docs": ["Commit-reveal", "is on."]})

    assert extrinsic_error(exc) == (
        "CommitRevealEnabled",
        "CommitRevealEnabled: Commit-reveal is on.",
    )


def test_a_refusal_of_the_pool_is_named_by_its_message() -> None:
    exc = SubstrateException({"code": 1010, "message": "Invalid Transaction", "data": "Stale"})

    assert extrinsic_error(exc) == ("Invalid Transaction", "Invalid Transaction: Stale")


def test_a_dispatch_error_is_its_own_name() -> None:
    assert extrinsic_error(SubstrateException("BadOrigin")) == ("BadOrigin", "BadOrigin")


def test_turbobts_class_for_a_module_error_names_it() -> None:
    exc = RateLimitExceeded("Too many requests.")

    assert extrinsic_error(exc) == ("RateLimitExceeded", "RateLimitExceeded: Too many requests.")


def test_anything_else_has_no_reason_only_its_message() -> None:
    assert extrinsic_error(SubstrateException("the node said no")) == (None, "the node said no")
    assert extrinsic_error(SubstrateException()) == (None, "SubstrateException")
