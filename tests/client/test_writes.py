"""The write path through the client, on the real server: weights, commits, commitment,
hyperparameters; typed answers equal the raw ones, refusals arrive by kind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pylon_gql_client import (
    AsyncPylonClient,
    CommitRefused,
    InvalidInput,
    PermissionDenied,
    ValidationFailed,
)

from .conftest import OWNER_TOKEN, VALIDATOR_TOKEN, Proxy, Server
from .test_queries import as_json, same

#: The simnet's first block (the finney snapshot).
SNAPSHOT_BLOCK = 6852690


@pytest.fixture
async def validator(server: Server) -> AsyncIterator[AsyncPylonClient]:
    async with AsyncPylonClient(server.url, VALIDATOR_TOKEN, backoff=0.01) as client:
        yield client


@pytest.fixture
async def hotkeys(validator: AsyncPylonClient) -> list[str]:
    neurons = await validator.neurons(first=4, fields=["hotkey"])
    return [n.hotkey for n in neurons]


async def test_set_weights_then_read_them(
    validator: AsyncPylonClient, server: Server, hotkeys: list[str]
) -> None:
    written = await validator.set_weights({hotkeys[0]: 1.0, hotkeys[1]: 2.5})
    assert written.count == 2
    weights = await validator.weights()
    assert weights.epoch == written.epoch or weights.epoch.index == written.epoch.index
    by_hotkey = {w.hotkey: w.weight for w in weights.weights}
    assert by_hotkey[hotkeys[0]] == 1.0 and by_hotkey[hotkeys[1]] == 2.5
    raw = await server.query(
        """{ weights { block { number hash } epoch { block { number hash } netuid tempo index
             start end blocksRemaining commitWindow { start end open }
             forBlock predicted }
             weights { hotkey weight updatedAt mechanism } mechanism } }""",
        token=VALIDATOR_TOKEN,
    )
    assert as_json(weights) == same(raw["data"]["weights"])


async def test_set_and_update_one_weight(validator: AsyncPylonClient, hotkeys: list[str]) -> None:
    one = await validator.set_weight(hotkeys[2], 0.5)
    assert (one.weight.hotkey, one.weight.weight) == (hotkeys[2], 0.5)
    updated = await validator.update_weight(hotkeys[2], 0.25)
    assert updated.weight.weight == 0.75
    before = validator.attempts
    with pytest.raises(ValidationFailed) as caught:
        await validator.update_weight(hotkeys[2], -10.0)
    assert validator.attempts == before + 1
    assert caught.value.entries and caught.value.entries[0]["hotkey"] == hotkeys[2]
    assert (await validator.set_weight(hotkeys[2], 0.75)).weight.weight == 0.75


async def test_an_invalid_batch_writes_nothing_and_names_the_entry(
    validator: AsyncPylonClient, hotkeys: list[str]
) -> None:
    before = {w.hotkey: w.weight for w in (await validator.weights()).weights}
    with pytest.raises(ValidationFailed) as caught:
        await validator.set_weights({hotkeys[3]: 9.0, "5FakeKey": 1.0})
    assert [entry["index"] for entry in caught.value.entries] == [1]
    after = {w.hotkey: w.weight for w in (await validator.weights()).weights}
    assert after == before


async def test_writing_without_a_token_is_a_permission_error_and_not_retried(
    server: Server, hotkeys: list[str]
) -> None:
    async with AsyncPylonClient(server.url, backoff=0.01) as anonymous:
        with pytest.raises(PermissionDenied) as caught:
            await anonymous.set_weight(hotkeys[0], 1.0)
        assert anonymous.attempts == 1
    assert caught.value.code == "FORBIDDEN"
    async with AsyncPylonClient(server.url, "wrong-token") as stranger:
        with pytest.raises(PermissionDenied):
            await stranger.set_weights({hotkeys[0]: 1.0})


async def test_a_token_pasted_with_its_bearer_prefix_is_sent_once(
    proxy: Proxy, hotkeys: list[str]
) -> None:
    # Copied from a header or a curl line: the client sends the token, not "Bearer Bearer ...".
    for pasted in (f"Bearer {VALIDATOR_TOKEN}", f"  bearer   {VALIDATOR_TOKEN}\n"):
        async with AsyncPylonClient(proxy.url, pasted) as validator:
            assert validator.token == VALIDATOR_TOKEN  # the websocket's connection_init too
            assert (await validator.set_weight(hotkeys[3], 0.5)).weight.weight == 0.5
    assert proxy.authorizations == [f"Bearer {VALIDATOR_TOKEN}"] * 2


async def test_commit_weights_refused_and_the_list_of_commits(
    validator: AsyncPylonClient, server: Server, hotkeys: list[str]
) -> None:
    # The simnet's dev validator takes its uid on subnet 1 at the first block after the
    # snapshot and may commit at once (its last update is a rate limit back); once that
    # commit is done, the chain's rate limit refuses the next one.
    if server.simnet.finalized_number <= SNAPSHOT_BLOCK + 1:
        await server.simnet.produce_blocks(3)
    await server.wait_for_head(server.simnet.finalized_number)
    await validator.set_weights({hotkeys[0]: 1.0})
    try:
        await validator.commit_weights()
    except CommitRefused as refused:  # another test's commit came first
        assert refused.reason == "rate_limited", refused
    assert server.services.writes is not None
    done = await server.services.writes.committer.wait()
    if done is not None:  # the server's head at its block: the committer sees its last update
        await server.wait_for_head(done.block)
    before = validator.attempts
    with pytest.raises(CommitRefused) as caught:
        await validator.commit_weights()
    assert caught.value.reason == "rate_limited"
    assert caught.value.message
    assert validator.attempts == before + 1
    commits = await validator.weight_commits(last=5)
    raw = await server.query(
        """{ weightCommits(last: 5) { id block { number hash } epoch { block { number hash }
             netuid tempo index start end blocksRemaining commitWindow { start end open }
             forBlock predicted }
             netuid mode uidCount digest revealRound status error createdAt updatedAt
             replica mechanism } }""",
        token=VALIDATOR_TOKEN,
    )
    assert as_json(commits) == same(raw["data"]["weightCommits"])


async def test_set_commitment(validator: AsyncPylonClient, server: Server) -> None:
    done = await validator.set_commitment("client says hello")
    assert done.commitment is not None
    assert done.commitment.text == "client says hello"
    await server.wait_for_head(done.block.number)
    assert await validator.commitment(done.commitment.hotkey, block=done.block.number) == (
        done.commitment
    )


async def test_set_hyperparameter_as_the_owner(server: Server) -> None:
    async with AsyncPylonClient(server.url, OWNER_TOKEN) as owner:
        done = await owner.set_hyperparameter("serving_rate_limit", 11)
        assert done.hyperparameters.serving_rate_limit == 11
        await server.wait_for_head(done.block.number)
        assert (await owner.hyperparameters(done.block.number)).serving_rate_limit == 11


async def test_watching_commits_needs_the_validator_token(server: Server) -> None:
    async with AsyncPylonClient(server.url) as anonymous:
        with pytest.raises(PermissionDenied) as caught:
            async with asyncio.timeout(30):
                await anext(anonymous.subscribe_weight_commits())
    assert caught.value.code == "FORBIDDEN"


async def test_weights_of_a_mechanism(validator: AsyncPylonClient, hotkeys: list[str]) -> None:
    """Subnet 1 has one mechanism on the simnet: mechanism 1 is refused naming the count (the
    e2e tests write mechanism 1 of subnet 2, which has two)."""
    written = await validator.set_weight(hotkeys[0], 2.0, mechanism=0)
    assert written.weight.mechanism == 0
    with pytest.raises(InvalidInput, match=r"subnet 1 has 1 mechanism\(s\)"):
        await validator.set_weight(hotkeys[0], 3.0, mechanism=1)
    with pytest.raises(InvalidInput, match=r"has 1 mechanism\(s\)"):
        await validator.clear_weights(mechanism=1)
    unwritten = await validator.weights(mechanism=1)  # the database's: an empty vector
    assert (unwritten.mechanism, unwritten.weights) == (1, [])
