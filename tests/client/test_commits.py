"""Committing weights and watching the attempt, through the client, on a subnet where the
simnet's dev validator is registered (2), with epochs of 10 blocks."""

from __future__ import annotations

import asyncio
import contextlib

from pylon_gql_client import AsyncPylonClient, WeightCommit

from pylon_gql.events import NewEpoch
from pylon_gql.models import CommitAttempt

from .conftest import SUBNET2_TEMPO, VALIDATOR_TOKEN, Server
from .waiting import PATIENCE, eventually


async def test_commit_weights_and_watch_the_attempt(subnet2: Server) -> None:
    async with AsyncPylonClient(subnet2.url, VALIDATOR_TOKEN) as validator:
        hotkeys = [n.hotkey for n in await validator.neurons(first=4)]
        await validator.set_weights({h: float(i + 1) for i, h in enumerate(hotkeys)})
        seen: list[WeightCommit] = []

        async def watch() -> None:
            async for commit in validator.subscribe_weight_commits():
                seen.append(commit)
                if commit.status in ("FINALIZED", "FAILED"):
                    return

        watching = asyncio.create_task(watch())
        hub = subnet2.services.hub
        await eventually(lambda: hub.subscribers(CommitAttempt) > 0)
        started = await validator.commit_weights()
        async with asyncio.timeout(PATIENCE):
            await watching
        assert started.status == "PENDING"
        assert [c.status for c in seen] == ["PENDING", "IN_BLOCK", "FINALIZED"]
        assert {c.id for c in seen} == {started.id}
        [latest, *_] = await validator.weight_commits(last=1)
        assert latest == seen[-1]


async def test_epochs_as_the_chain_enters_them(subnet2: Server) -> None:
    async with AsyncPylonClient(subnet2.url) as client:
        stream = client.subscribe_epochs()
        async with contextlib.aclosing(stream):
            first = asyncio.create_task(anext(stream))
            hub = subnet2.services.hub
            await eventually(lambda: hub.subscribers(NewEpoch) > 0)
            await subnet2.produce_blocks(SUBNET2_TEMPO + 1)
            async with asyncio.timeout(PATIENCE):
                epoch = await first
        assert epoch.tempo == SUBNET2_TEMPO
        assert epoch.block.number == epoch.start
        # `epoch()` carries the epoch after it too
        assert (await client.epoch(epoch.block.number)).model_copy(update={"next": None}) == epoch
