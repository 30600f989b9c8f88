"""The client's documents are valid against the server's `schema.graphql` (the contract)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FieldNode, GraphQLObjectType, GraphQLSchema, build_schema, parse, validate
from pydantic.alias_generators import to_snake
from pylon_gql_client import NeuronDetails, documents
from pylon_gql_client.partial import NEURON_FIELDS

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


def errors_of(schema: GraphQLSchema, document: str) -> list[str]:
    return [error.message for error in validate(schema, parse(document))]


def test_there_is_a_document_per_operation() -> None:
    names = set(documents.operation_names())
    assert {"head", "block", "metagraph", "neuron", "epoch", "hyperparameters"} <= names
    assert {"subnet", "commitment", "commitments", "chain", "new_block"} <= names
    assert {"weights", "weight_commits", "set_weights", "set_weight", "update_weight"} <= names
    assert {"commit_weights", "set_commitment", "set_hyperparameter"} <= names
    assert {"new_epoch", "weight_commit_updates"} <= names
    assert {"neuron_details", "chain_weights", "bonds", "pending_weight_commits"} <= names
    assert {"revealed_commitments", "extrinsics", "events"} <= names


@pytest.mark.parametrize("name", documents.operation_names())
def test_each_document_is_valid(schema: GraphQLSchema, name: str) -> None:
    assert errors_of(schema, documents.document(name)) == []


@pytest.mark.parametrize("field", NEURON_FIELDS)
def test_a_neuron_selection_of_each_field_is_valid(schema: GraphQLSchema, field: str) -> None:
    document = documents.document_with_neuron_fields("metagraph", [field])
    assert errors_of(schema, document) == []


def test_a_neuron_selection_asks_only_for_its_fields_and_the_block() -> None:
    document = documents.document_with_neuron_fields("metagraph", ["stake", "validatorPermit"])
    neuron_fragment = document[document.index("fragment NeuronFields") :]
    fields = [line.strip() for line in neuron_fragment.splitlines()[1:-1]]
    assert fields == ["block {", "...BlockRefFields", "}", "uid", "validatorPermit", "stake"]


def details_fields() -> set[str]:
    """The Neuron fields `neuron_details(...)` asks for (the full metagraph's)."""
    fragment = documents.fragments()["NeuronDetailsFields"]
    return {s.name.value for s in fragment.selection_set.selections if isinstance(s, FieldNode)}


def test_every_field_of_the_schemas_neuron_may_be_asked_for(schema: GraphQLSchema) -> None:
    neuron = schema.get_type("Neuron")
    assert isinstance(neuron, GraphQLObjectType)
    # The full metagraph's fields through neuron_details(), each of them, and nothing else.
    details = set(neuron.fields) - set(NEURON_FIELDS)
    assert details <= details_fields()
    assert {to_snake(name) for name in details_fields()} == set(NeuronDetails.model_fields)
    # In the schema's spelling (camelCase) and the models' (snake_case) alike.
    assert set(neuron.fields) - details <= set(NEURON_FIELDS)
    assert set(NEURON_FIELDS) - set(neuron.fields) == {
        "validator_permit",
        "stake_rao",
        "emission_rao",
        "validator_trust",
        "last_update",
        "blocks_since_last_update",
        "pruning_score",
    }


def test_an_unknown_neuron_field_is_refused() -> None:
    with pytest.raises(ValueError, match="stakee"):
        documents.document_with_neuron_fields("metagraph", ["stakee"])


def test_the_checker_catches_an_invalid_document(schema: GraphQLSchema) -> None:
    # What the tests above rely on: an unknown field is reported.
    assert errors_of(schema, "query { head { numbr } }") != []
