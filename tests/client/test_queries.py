"""Each typed method returns the same data as the raw GraphQL query (over plain HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel
from pylon_gql_client import (
    AsyncPylonClient,
    Block,
    NeuronFilter,
    NeuronOrder,
    NeuronOrderField,
    OrderDirection,
)

from .conftest import Server

BLOCK_REF = "block { number hash }"
NEURON = f"""{BLOCK_REF} uid hotkey coldkey active validatorPermit stake stakeRao rank emission
  emissionRao incentive consensus trust validatorTrust dividends lastUpdate
  blocksSinceLastUpdate pruningScore axon {{ ip port ipType protocol version block }}
  prometheus {{ ip port ipType version block }}"""


def same(value: Any) -> Any:
    """JSON with timestamps as datetimes (the server and pydantic write them differently)."""
    if isinstance(value, dict):
        return {key: same(item) for key, item in value.items()}
    if isinstance(value, list):
        return [same(item) for item in value]
    if isinstance(value, str) and len(value) > 18 and value[4] == "-" and "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def as_json(value: BaseModel | Sequence[BaseModel] | None) -> Any:
    if value is None:
        return None
    if isinstance(value, Sequence):
        return [as_json(item) for item in value]
    # What the server sent: a field the document did not ask for (`Epoch.next`) is left out.
    return same(value.model_dump(mode="json", by_alias=True, exclude_unset=True))


async def raw(server: Server, document: str, variables: dict[str, Any] | None = None) -> Any:
    answer = await server.query(document, variables)
    assert "errors" not in answer, answer
    [value] = answer["data"].values()
    return same(value)


@pytest.fixture(scope="module")
async def head(server: Server) -> Block:
    await server.produce_blocks(2)
    async with AsyncPylonClient(server.url) as client:
        return await client.head()


async def test_head(client: AsyncPylonClient, server: Server) -> None:
    before = (await raw(server, "{ head { number } }"))["number"]
    typed = await client.head()
    assert typed.number >= before
    # That block read raw (the head itself may have moved on meanwhile).
    document = "query($n: Int) { block(number: $n) { number hash parentHash timestamp } }"
    assert as_json(typed) == await raw(server, document, {"n": typed.number})


async def test_block_by_number_and_hash(
    client: AsyncPylonClient, server: Server, head: Block
) -> None:
    document = """query($n: Int, $h: String) {
      block(number: $n, hash: $h) { number hash parentHash timestamp } }"""
    by_number = await client.block(head.number - 1)
    assert as_json(by_number) == await raw(server, document, {"n": head.number - 1})
    assert by_number is not None
    assert await client.block(hash=by_number.hash) == by_number
    assert await client.block(hash="0x" + "ab" * 32) is None


async def test_metagraph(client: AsyncPylonClient, server: Server, head: Block) -> None:
    typed = await client.metagraph(head.number)
    answer = await raw(
        server,
        f"""query($b: Int) {{ metagraph(block: $b) {{
              {BLOCK_REF} netuid neuronCount neurons {{ {NEURON} }} }} }}""",
        {"b": head.number},
    )
    assert as_json(typed) == answer
    assert typed.neuron_count == len(typed.neurons) > 0


async def test_neurons_filtered_ordered_and_paged(
    client: AsyncPylonClient, server: Server, head: Block
) -> None:
    where = NeuronFilter(validator_permit=True, min_stake=1.0)
    order = NeuronOrder(field=NeuronOrderField.STAKE, direction=OrderDirection.DESC)
    typed = await client.neurons(head.number, where=where, order_by=order, first=5, offset=2)
    answer = await raw(
        server,
        f"""query($b: Int) {{ metagraph(block: $b) {{ neurons(
              where: {{ validatorPermit: true, minStake: 1.0 }},
              orderBy: {{ field: STAKE, direction: DESC }}, first: 5, offset: 2) {{
              {NEURON} }} }} }}""",
        {"b": head.number},
    )
    assert as_json(typed) == answer["neurons"]
    assert len(typed) == 5
    # dictionaries in the schema's own (camelCase) or the client's (snake_case) names work too
    assert (
        await client.neurons(
            head.number,
            where={"validatorPermit": True, "min_stake": 1.0},
            order_by={"field": "STAKE", "direction": "DESC"},
            first=5,
            offset=2,
        )
        == typed
    )


async def test_neurons_with_chosen_fields(
    client: AsyncPylonClient, server: Server, head: Block
) -> None:
    typed = await client.neurons(
        head.number,
        fields=["hotkey", "stake", "axon"],
        order_by={"field": "STAKE", "direction": "DESC"},
        first=10,
    )
    answer = await raw(
        server,
        """query($b: Int) { metagraph(block: $b) { neurons(
             orderBy: { field: STAKE, direction: DESC }, first: 10) {
             block { number hash } uid hotkey stake axon { ip port ipType protocol version block }
             } } }""",
        {"b": head.number},
    )
    assert [n.model_dump(mode="json", by_alias=True) for n in typed] == answer["neurons"]


async def test_neuron_by_uid_and_by_hotkey(
    client: AsyncPylonClient, server: Server, head: Block
) -> None:
    document = f"""query($u: Int, $h: String, $b: Int) {{
      neuron(uid: $u, hotkey: $h, block: $b) {{ {NEURON} }} }}"""
    by_uid = await client.neuron(7, block=head.number)
    assert as_json(by_uid) == await raw(server, document, {"u": 7, "b": head.number})
    assert by_uid is not None
    assert await client.neuron(hotkey=by_uid.hotkey, block=head.number) == by_uid
    # a valid SS58 address that is not registered: null
    stranger = "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
    assert await client.neuron(hotkey=stranger) is None


async def test_epoch(client: AsyncPylonClient, server: Server, head: Block) -> None:
    typed = await client.epoch(head.number)
    answer = await raw(
        server,
        f"""query($b: Int) {{ epoch(block: $b) {{ {BLOCK_REF} netuid tempo index start end
              blocksRemaining commitWindow {{ start end open }} forBlock predicted
              next {{ {BLOCK_REF} netuid tempo index start end blocksRemaining
                commitWindow {{ start end open }} forBlock predicted }} }} }}""",
        {"b": head.number},
    )
    assert as_json(typed) == answer
    assert typed.start <= head.number <= typed.end
    assert typed.next is not None and typed.next.start == typed.end + 1


async def test_hyperparameters(client: AsyncPylonClient, server: Server, head: Block) -> None:
    typed = await client.hyperparameters(head.number)
    answer = await raw(
        server,
        f"""query($b: Int) {{ hyperparameters(block: $b) {{ {BLOCK_REF} rho kappa immunityPeriod
              minAllowedWeights maxWeightsLimit tempo minDifficulty maxDifficulty weightsVersion
              weightsRateLimit adjustmentInterval activityCutoff registrationAllowed
              targetRegsPerInterval minBurn maxBurn bondsMovingAvg maxRegsPerBlock
              servingRateLimit maxValidators adjustmentAlpha difficulty commitRevealPeriod
              commitRevealWeightsEnabled alphaHigh alphaLow liquidAlphaEnabled
              alphaSigmoidSteepness yumaVersion yuma3Enabled subnetIsActive transfersEnabled
              bondsResetEnabled userLiquidityEnabled all {{ name field type value }} }} }}""",
        {"b": head.number},
    )
    assert as_json(typed) == answer
    # BigInt: every digit kept (adjustmentAlpha does not fit in a double)
    assert str(typed.adjustment_alpha) == answer["adjustmentAlpha"]


async def test_subnet(client: AsyncPylonClient, server: Server, head: Block) -> None:
    typed = await client.subnet(head.number)
    answer = await raw(
        server,
        f"""query($b: Int) {{ subnet(block: $b) {{
              {BLOCK_REF} netuid name symbol ownerHotkey ownerColdkey tempo registeredAt
              lastStep blocksSinceLastStep neuronCount maxNeurons burn burnRao alphaIn
              alphaInRao alphaOut alphaOutRao taoIn taoInRao price movingPrice emission
              emissionRao taoInEmissionRao alphaInEmissionRao alphaOutEmissionRao volumeRao
              epoch {{ {BLOCK_REF} netuid tempo index start end blocksRemaining
                commitWindow {{ start end open }} forBlock predicted }} }} }}""",
        {"b": head.number},
    )
    assert as_json(typed) == answer


async def test_commitments_and_one_commitment(
    client: AsyncPylonClient, server: Server, head: Block
) -> None:
    fields = f"{BLOCK_REF} hotkey committedAt data text"
    typed = await client.commitments(head.number)
    answer = await raw(
        server, f"query($b: Int) {{ commitments(block: $b) {{ {fields} }} }}", {"b": head.number}
    )
    assert as_json(typed) == answer
    assert typed
    one = await client.commitment(typed[0].hotkey, block=head.number)
    assert as_json(one) == await raw(
        server,
        f"query($h: String!, $b: Int) {{ commitment(hotkey: $h, block: $b) {{ {fields} }} }}",
        {"h": typed[0].hotkey, "b": head.number},
    )


async def test_chain(client: AsyncPylonClient, server: Server) -> None:
    typed = await client.chain()
    answer = await raw(
        server,
        "{ chain { network simulated genesisHash specVersion head { number hash } "
        "headAgeSeconds stale } }",
    )
    # the head's age moves between two questions; everything else must be equal
    assert typed.head_age_seconds is not None
    assert answer.pop("headAgeSeconds") is not None
    assert {k: v for k, v in as_json(typed).items() if k != "headAgeSeconds"} == answer


async def test_execute_a_custom_selection(client: AsyncPylonClient, head: Block) -> None:
    data = await client.execute(
        "query Dashboard($b: Int) { metagraph(block: $b) { block { number } "
        "neurons(first: 3, orderBy: {field: STAKE, direction: DESC}) { uid stakeRao } } }",
        {"b": head.number},
        operation_name="Dashboard",
    )
    assert data["metagraph"]["block"] == {"number": head.number}
    neurons = data["metagraph"]["neurons"]
    assert [set(n) for n in neurons] == [{"uid", "stakeRao"}] * 3
    assert all(isinstance(n["stakeRao"], str) for n in neurons)  # BigInt as the server sent it
