"""Building GraphQL types from the domain's models and enums."""

from __future__ import annotations

from enum import StrEnum

import pytest
from strawberry.types.enum import has_enum_definition

from pylon_gql import models
from pylon_gql.schema.types import BlockRef, Hyperparameters, domain_enum, from_fields

from .fakes import FakeReader, block_hash

REF = models.BlockRef(1005, block_hash(1005))


async def test_a_type_copies_every_field_of_its_model_by_name():
    model = await FakeReader().hyperparameters(REF)
    served = Hyperparameters.from_model(model, REF)
    for name in models.Hyperparameters.__dataclass_fields__:
        if name == "runtime_fields":  # served as `all`, from the model kept beside
            assert served.source is model
            continue
        assert getattr(served, name) == getattr(model, name), name
    assert served.block.number == 1005


def test_given_fields_are_taken_as_given_and_others_from_the_model():
    served = from_fields(BlockRef, REF, hash="0xab")
    assert (served.number, served.hash) == (1005, "0xab")


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_a_domain_enum_is_served_with_each_value_described():
    served = domain_enum(
        Colour,
        name="Colour",
        description="A colour.",
        values={Colour.RED: "Warm.", Colour.BLUE: "Cold."},
    )

    assert has_enum_definition(served)
    definition = served.__strawberry_definition__
    assert (definition.name, definition.description) == ("Colour", "A colour.")
    assert {v.name: v.description for v in definition.values} == {"RED": "Warm.", "BLUE": "Cold."}
    assert Colour("red") is Colour.RED  # the domain enum itself is unchanged


def test_a_domain_enum_value_left_undescribed_is_refused():
    class Shade(StrEnum):
        LIGHT = "light"
        DARK = "dark"

    with pytest.raises(KeyError):
        domain_enum(Shade, name="Shade", description="A shade.", values={Shade.LIGHT: "Pale."})
