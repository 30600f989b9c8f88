"""The async client, the blocking client and the fake take the same arguments: a test written
against the fake calls the real client the same way. And every read of one subnet takes
`netuid`, keyword-only, the server's subnet by default."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from pylon_gql_client import AsyncPylonClient, PylonClient
from pylon_gql_client.testing import FakeAsyncPylonClient

#: The client's reads of one subnet.
SUBNET_READS = (
    "metagraph",
    "neurons",
    "neuron",
    "neuron_page",
    "iter_neurons",
    "epoch",
    "hyperparameters",
    "subnet",
    "commitment",
    "commitments",
    "history",
    "subscribe_epochs",
    "neuron_details",
    "chain_weights",
    "bonds",
    "pending_weight_commits",
    "revealed_commitments",
)
#: What the fake does not answer (the full metagraph's reads and blocks' content).
NOT_FAKED = {
    "bonds",
    "chain_weights",
    "events",
    "extrinsics",
    "neuron_details",
    "pending_weight_commits",
    "revealed_commitments",
}


def methods() -> list[str]:
    return sorted(
        name
        for name in dir(AsyncPylonClient)
        if not name.startswith("_") and inspect.isfunction(getattr(AsyncPylonClient, name))
    )


def parameters(method: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    """Each parameter's name, kind, default and annotation (as written)."""
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in inspect.signature(method).parameters.values()
    ]


@pytest.mark.parametrize("name", methods())
def test_the_fake_takes_what_the_client_takes(name: str) -> None:
    faked = getattr(FakeAsyncPylonClient, name, None)
    if name in NOT_FAKED:
        assert faked is None, f"the fake answers {name} now: take it out of NOT_FAKED"
        return
    assert faked is not None
    assert parameters(faked) == parameters(getattr(AsyncPylonClient, name))


@pytest.mark.parametrize("name", methods())
def test_the_blocking_client_takes_what_the_async_one_takes(name: str) -> None:
    blocking = getattr(PylonClient, name)
    found = parameters(blocking)
    if [kind for _, kind, _, _ in found[1:]] == [
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    ]:
        return  # made from the async method by `_blocking`: typed as it, checked by pyright
    assert found == parameters(getattr(AsyncPylonClient, name))


@pytest.mark.parametrize("name", SUBNET_READS)
def test_every_read_of_one_subnet_takes_netuid(name: str) -> None:
    netuid = inspect.signature(getattr(AsyncPylonClient, name)).parameters["netuid"]
    assert (netuid.kind, netuid.default) == (inspect.Parameter.KEYWORD_ONLY, None)
    assert netuid.annotation == "int | None"
