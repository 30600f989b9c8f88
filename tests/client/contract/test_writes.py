"""Writes, on the real server and on the fake alike: weights, the commitment and the
hyperparameters are read back as written, and refused for the same reasons.

The server's writes to the chain land in a block after the head and are read there once its
follower has seen that block (`settled`); the fake's land in a block it makes at once.
"""

from __future__ import annotations

import pytest
from pylon_gql_client import InvalidInput, ValidationFailed, WeightInput, rules
from pylon_gql_client.testing.sample import admin_calls

from ..conftest import Server
from .conftest import STRANGER, Api, outcome, settled


async def hotkeys_of(api: Api, *uids: int) -> list[str]:
    return [n.hotkey for n in await api.neurons(where={"uids": list(uids)})]


async def test_weights_written_are_read_back(writer: Api) -> None:
    hotkeys = await hotkeys_of(writer, 10, 11, 12)
    written = await writer.set_weights({hotkeys[0]: 0.5, hotkeys[1]: 1.5})
    assert written.count == 2
    await writer.set_weight(hotkeys[2], 2.0)
    updated = await writer.update_weight(hotkeys[2], -0.5)
    assert updated.weight.weight == 1.5
    weights = {w.hotkey: w.weight for w in (await writer.weights()).weights}
    assert {h: weights[h] for h in hotkeys} == {hotkeys[0]: 0.5, hotkeys[1]: 1.5, hotkeys[2]: 1.5}


async def test_invalid_weights_are_refused_by_entry(writer: Api) -> None:
    [hotkey] = await hotkeys_of(writer, 13)
    with pytest.raises(ValidationFailed) as caught:
        await writer.set_weights(
            [WeightInput(hotkey=hotkey, weight=1.0), WeightInput(hotkey="5Fake", weight=1.0)]
        )
    assert [e["index"] for e in caught.value.entries] == [1]
    with pytest.raises(ValidationFailed):
        await writer.set_weight(hotkey, -1.0)
    with pytest.raises(ValidationFailed):
        await writer.update_weight(hotkey, -1000.0)
    with pytest.raises(ValidationFailed):
        await writer.set_weight(STRANGER, 1.0)  # not registered


async def test_a_delta_is_refused_when_the_sum_is_no_weight(writer: Api) -> None:
    [fresh, other] = await hotkeys_of(writer, 40, 41)  # uids no other test writes
    # No weight yet: the delta itself must be a weight.
    refused, _ = await outcome(writer.update_weight(fresh, -1.0))
    assert (refused.code, refused.entries) == ("VALIDATION_ERROR", (None,))
    # NaN is no GraphQL Float: refused before the server's own rules.
    refused, _ = await outcome(writer.update_weight(other, float("nan")))
    assert refused.code == "BAD_USER_INPUT"
    await writer.set_weight(other, 1.0)
    assert (await writer.update_weight(other, -1.0)).weight.weight == 0.0


async def test_the_latest_commits_are_asked_for_1_to_1000(writer: Api) -> None:
    for last in (0, -1, 1001):
        with pytest.raises(InvalidInput) as caught:
            await writer.weight_commits(last)
        assert caught.value.code == "BAD_USER_INPUT"
    assert len(await writer.weight_commits(1000)) <= 1000


async def test_a_commitment_set_is_read_back(writer: Api, server: Server) -> None:
    before = await writer.head()
    done = await writer.set_commitment(b"\x00\x01contract")
    assert done.block.number > before.number  # finalized in a block of its own
    commitment = done.commitment
    assert commitment is not None
    assert commitment.data == "0x" + b"\x00\x01contract".hex()
    assert commitment.text == "\x00\x01contract"
    assert commitment.committed_at == done.block.number == commitment.block.number
    assert rules.is_ss58(commitment.hotkey)  # the validator's: the server's, or the fake's
    # Read your writes: the head's answer, right after the write, has it.
    assert await writer.commitment(commitment.hotkey) == commitment
    assert (await writer.head()).number >= done.block.number
    await settled(writer, server, done.block.number)
    assert await writer.commitment(commitment.hotkey, block=done.block.number) == commitment
    assert commitment in await writer.commitments(done.block.number)
    text = await writer.set_commitment("plain text")
    assert text.commitment is not None
    assert (text.commitment.data, text.commitment.text) == (
        "0x" + b"plain text".hex(),
        "plain text",
    )


async def test_a_hyperparameter_set_is_read_back(owner: Api, server: Server) -> None:
    kappa = (await owner.hyperparameters()).kappa
    try:
        done = await owner.set_hyperparameter("sudo_set_kappa", kappa + 1)
        assert (done.call, done.value) == ("sudo_set_kappa", kappa + 1)
        assert done.hyperparameters.kappa == kappa + 1
        assert done.hyperparameters.block == done.block
        await settled(owner, server, done.block.number)
        assert (await owner.hyperparameters(done.block.number)).kappa == kappa + 1
    finally:
        await owner.set_hyperparameter("kappa", kappa)


async def test_a_call_named_otherwise_than_its_hyperparameter(owner: Api) -> None:
    limit = (await owner.hyperparameters()).weights_rate_limit
    done = await owner.set_hyperparameter("weights_set_rate_limit", limit)
    assert (done.call, done.value) == ("sudo_set_weights_set_rate_limit", limit)
    assert done.hyperparameters.weights_rate_limit == limit
    with pytest.raises(ValidationFailed) as caught:
        await owner.set_hyperparameter("weights_rate_limit", limit)
    assert "no AdminUtils.sudo_set_weights_rate_limit" in caught.value.message
    assert caught.value.entries == []


async def test_the_fake_knows_the_calls_of_the_servers_runtime(server: Server) -> None:
    # `set_hyperparameter` on the fake is judged by admin_calls.json: the simnet's runtime.
    assert server.services.writes is not None
    calls = await server.services.writes.admin_calls()
    runtime = {
        name: [(arg.name, arg.kind, tuple(arg.variants)) for arg in call.args]
        for name, call in calls.items()
    }
    shipped = {
        name: [(arg.name, arg.kind, arg.variants) for arg in call.args]
        for name, call in admin_calls().items()
    }
    assert shipped == runtime, "run `uv run python -m tests.client.make_sample`"


async def test_after_a_write_every_answer_says_the_new_head(writer: Api, server: Server) -> None:
    # Nothing else makes blocks while this runs: the head read here is every answer's.
    done = await writer.set_commitment("the chain moved")  # a block of its own, on both sides
    await settled(writer, server, done.block.number)
    head = await writer.head()
    assert head.number >= done.block.number
    for block in (None, head.number):
        metagraph = await writer.metagraph(block, first=3)
        assert {n.block.number for n in metagraph.neurons} == {metagraph.block.number}
        partial = await writer.neurons(block, first=3, fields=["stake"])
        [neuron] = await writer.neurons(block, first=1)
        assert await writer.neuron(0, block=block) == neuron
        answers = [
            metagraph.block,
            *(p.block for p in partial),
            neuron.block,
            (await writer.hyperparameters(block)).block,
            (await writer.subnet(block)).block,
            (await writer.weights(block)).block,
        ]
        assert {(ref.number, ref.hash) for ref in answers} == {(head.number, head.hash)}


async def test_a_batch_replaces_the_epochs_weights_unless_merged(writer: Api) -> None:
    first, second, third = await hotkeys_of(writer, 20, 21, 22)

    async def written() -> dict[str, float]:
        return {w.hotkey: w.weight for w in (await writer.weights()).weights}

    await writer.set_weights({first: 1.0, second: 2.0})
    replaced = await writer.set_weights({third: 3.0})  # REPLACE, the default
    assert (replaced.mode, replaced.count) == ("REPLACE", 1)
    assert await written() == {third: 3.0}
    merged = await writer.set_weights({first: 1.0}, mode="MERGE")
    assert (merged.mode, merged.count) == ("MERGE", 1)
    assert await written() == {first: 1.0, third: 3.0}
    deleted = await writer.delete_weight(third)
    assert deleted.deleted is not None and (deleted.hotkey, deleted.deleted.weight) == (third, 3.0)
    assert (await writer.delete_weight(third)).deleted is None
    refused, _ = await outcome(writer.delete_weight("5Fake"))
    assert (refused.code, refused.entries) == ("VALIDATION_ERROR", (None,))
    assert (await writer.clear_weights()).count == 1
    epoch = (await writer.weights()).epoch
    by_start = await writer.weights(epoch=epoch.start)  # the same epoch, by its key
    assert (by_start.epoch.start, by_start.weights) == (epoch.start, [])


async def test_weights_by_epoch_take_the_epochs_first_block(writer: Api) -> None:
    epoch = (await writer.weights()).epoch
    # A block of the epoch that is not its first (the head: the simnet's first epoch starts
    # before its snapshot, at blocks the node never had), and no block at all.
    inside = [epoch.block.number] if epoch.start < epoch.block.number else []
    for wrong in (*inside, -1):
        refused, _ = await outcome(writer.weights(epoch=wrong))
        assert refused.code == "BAD_USER_INPUT", wrong
    refused, _ = await outcome(writer.weights(epoch.block.number, epoch=epoch.start))
    assert refused.code == "BAD_USER_INPUT"  # block or epoch, not both


async def test_all_lists_every_field_and_follows_a_set(owner: Api) -> None:
    before = await owner.hyperparameters()
    # every typed field is among the runtime's, named alike, its value the same
    by_name = {v.name: v for v in before.all}
    assert by_name["kappa"].field == "kappa" and by_name["kappa"].type == "Compact<u16>"
    assert before.value("tempo") == before.tempo
    assert by_name["alpha_sigmoid_steepness"].type == "I32F32"
    steepness = before.alpha_sigmoid_steepness
    assert by_name["alpha_sigmoid_steepness"].value == steepness
    assert steepness is not None
    try:
        done = await owner.set_hyperparameter("alpha_sigmoid_steepness", int(steepness) + 1)
        assert done.value == int(steepness) + 1
        assert done.hyperparameters.value("alpha_sigmoid_steepness") == int(steepness) + 1.0
        names = [v.name for v in done.hyperparameters.all]
        assert names == [v.name for v in before.all]  # the same fields, in the runtime's order
        with pytest.raises(KeyError, match="'tempo'"):
            done.hyperparameters.value("tempoo")
    finally:
        await owner.set_hyperparameter("alpha_sigmoid_steepness", int(steepness))


async def test_a_call_the_hyperparameters_leave_out_reads_back_what_it_set(owner: Api) -> None:
    done = await owner.set_hyperparameter("recycle_or_burn", "Recycle")
    assert (done.call, done.value) == ("sudo_set_recycle_or_burn", "Recycle")
    done = await owner.set_hyperparameter("recycle_or_burn", "Burn")
    assert done.value == "Burn"
