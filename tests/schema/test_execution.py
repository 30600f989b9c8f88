"""The plain-list executor answers exactly what graphql-core's own completion answers."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from pylon_gql.models import BlockRef, Metagraph
from pylon_gql.schema import Context, PylonSchema, _config, create_schema
from pylon_gql.schema.execution import PlainListExecutor
from pylon_gql.schema.queries import Query
from pylon_gql.schema.subscriptions import Subscription
from pylon_gql.settings import Settings

from .fakes import FakeReader, make_settings

EVERY_FIELD = """{ metagraph { block { number hash } neuronCount neurons {
    __typename block { number hash } uid hotkey coldkey active validatorPermit stake stakeRao
    rank emission emissionRao incentive consensus trust validatorTrust dividends lastUpdate
    blocksSinceLastUpdate pruningScore axon { ip port ipType protocol version block }
    prometheus { ip port ipType version block } } }
    commitments { hotkey committedAt data text block { number } } }"""

DOCUMENTS = [
    EVERY_FIELD,
    # aliases, repeated fields merged, fragments, @skip/@include with variables
    """query($skip: Boolean!) { metagraph { neurons(orderBy: {field: STAKE, direction: DESC}) {
        a: uid uid ...F axon { ip } axon { port } hotkey @skip(if: $skip)
        coldkey @include(if: $skip) } } }
    fragment F on Neuron { stake ... on Neuron { incentive } }""",
    "{ metagraph { neurons(first: 0) { uid } } }",
    # matrices: rows by graphql-core, their entries from columns
    """{ metagraph { chainWeights(uids: [1, 3, 2]) { uid hotkey weights {
        __typename u: uid weight weightU16 uid } }
        bonds(uids: [5]) { bonds { bond bondU16 } } } }""",
]


def _plain_schema() -> PylonSchema:
    """The same schema with graphql-core's own executor."""
    return PylonSchema(query=Query, subscription=Subscription, config=_config())


async def _answer(
    schema: PylonSchema, settings: Settings, reader: FakeReader, document: str
) -> bytes:
    context = Context(settings=settings, reader=reader, request_id="req-1")
    result = await schema.execute(document, variable_values={"skip": True}, context_value=context)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    return orjson.dumps(answer)


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_the_same_bytes_as_graphql_core(document: str) -> None:
    settings = make_settings()
    reader = FakeReader(neuron_count=40)
    fast = await _answer(create_schema(settings), settings, reader, document)
    plain = await _answer(_plain_schema(), settings, reader, document)
    assert b'"errors"' not in fast
    assert fast == plain


async def test_a_value_the_plan_refuses_falls_back_to_graphql_cores_error() -> None:
    """A non-null field that is null and an Int out of range: graphql-core's errors, paths and
    nulls, exactly."""
    settings = make_settings()

    class BrokenReader(FakeReader):
        async def metagraph(self, ref: BlockRef, netuid: int | None = None) -> Metagraph:
            good = await super().metagraph(ref, netuid)
            neurons = list(good.neurons)
            neurons[3] = dataclasses.replace(neurons[3], hotkey=None)  # type: ignore[arg-type]
            neurons[5] = dataclasses.replace(neurons[5], last_update=-(2**40))
            return dataclasses.replace(good, neurons=tuple(neurons))

    document = "{ metagraph { neurons { uid hotkey blocksSinceLastUpdate } } }"
    reader = BrokenReader()
    fast = await _answer(create_schema(settings), settings, reader, document)
    plain = await _answer(_plain_schema(), settings, reader, document)
    assert b'"errors"' in fast
    assert fast == plain


async def test_neurons_are_completed_by_the_plan_not_per_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completed: list[str] = []
    original = PlainListExecutor.complete_object_value

    def spy(self: PlainListExecutor, return_type: Any, *args: Any) -> Any:
        completed.append(return_type.name)
        return original(self, return_type, *args)

    monkeypatch.setattr(PlainListExecutor, "complete_object_value", spy)
    settings = make_settings()
    schema = create_schema(settings)
    assert schema.execution_context_class is PlainListExecutor
    await _answer(schema, settings, FakeReader(neuron_count=40), EVERY_FIELD)
    # The metagraph and its block: no neuron, axon, commitment or their blocks one by one.
    assert completed == ["Metagraph", "BlockRef"]
