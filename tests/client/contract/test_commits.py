"""Commits, on the real server and on the fake alike: refused with no weights, then an attempt
whose uid count, digest, mode and epoch follow from the weights written and the chain at its
block, and which is finalized by the chain.

The server runs on subnet 2, where its validator hotkey is registered (`subnet2`, a server of
this module's own, so no other test wrote weights there); the fake signs with uid 0's hotkey.
The two subnets differ, so each side is checked against its own metagraph and hyperparameters.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    CommitRefused,
    WeightCommit,
    WeightCommitMode,
    WeightCommitStatus,
    rules,
)
from pylon_gql_client.testing import FakeAsyncPylonClient

from ..conftest import VALIDATOR_TOKEN
from ..waiting import PATIENCE
from .conftest import Api


@pytest.fixture(params=["server", "fake"])
def subnet2_url(request: pytest.FixtureRequest) -> str | None:
    """subnet2's URL for the server's side, None for the fake's (which needs no server: this
    way subnet2 is started only when a test runs on the server)."""
    return request.getfixturevalue("subnet2").url if request.param == "server" else None


@pytest.fixture
async def committer(subnet2_url: str | None) -> AsyncIterator[Api]:
    client: Api = (
        FakeAsyncPylonClient()
        if subnet2_url is None
        else AsyncPylonClient(subnet2_url, VALIDATOR_TOKEN)
    )
    async with client:
        yield client


async def finished(committer: Api, commit: WeightCommit) -> WeightCommit:
    """The attempt once the chain has its outcome: the server's lands by itself (the simnet
    makes a block per extrinsic), the fake's in the next block it makes."""
    if isinstance(committer, FakeAsyncPylonClient):
        committer.produce_blocks(1)
    async with asyncio.timeout(PATIENCE):
        while True:
            [latest] = [c for c in await committer.weight_commits(20) if c.id == commit.id]
            if latest.status not in (WeightCommitStatus.PENDING, WeightCommitStatus.IN_BLOCK):
                return latest
            await asyncio.sleep(0.05)


async def test_nothing_to_commit_before_weights_are_written(committer: Api) -> None:
    with pytest.raises(CommitRefused) as caught:
        await committer.commit_weights()
    assert caught.value.reason == "no_weights"
    assert await committer.weight_commits() == []


async def test_an_attempt_records_what_the_chain_will_get(committer: Api) -> None:
    neurons = await committer.neurons(first=4)
    written = {n.hotkey: float(i + 1) for i, n in enumerate(neurons)}
    await committer.set_weights(written)
    started = await committer.commit_weights()
    assert started.status == WeightCommitStatus.PENDING
    assert [c.id for c in await committer.weight_commits(1)] == [started.id]
    # What the server committed follows from the chain at the head it started at.
    at = started.block.number
    metagraph = await committer.metagraph(at)
    hyperparameters = await committer.hyperparameters(at)
    subnet = await committer.subnet(at)
    committed = rules.uid_weights({n.hotkey: n.uid for n in metagraph.neurons}, written)
    assert started.uid_count == metagraph.neuron_count
    assert started.digest == rules.weights_digest(committed)
    assert started.mode == (
        WeightCommitMode.COMMIT_REVEAL
        if hyperparameters.commit_reveal_weights_enabled
        else WeightCommitMode.SET
    )
    assert started.epoch.start == (await committer.epoch(at)).start  # the epoch's key
    assert started.netuid == subnet.netuid
    done = await finished(committer, started)
    assert done.status == WeightCommitStatus.FINALIZED, done.error
    assert (done.id, done.digest, done.uid_count) == (started.id, started.digest, started.uid_count)
    assert done.block.number > started.block.number
