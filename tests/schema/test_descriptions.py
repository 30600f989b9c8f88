"""The docs pane: every type, field, argument, input field and enum value of the served schema
has a description, as GraphiQL reads it by introspection."""

from __future__ import annotations

from typing import Any

from graphql import get_introspection_query

from pylon_gql.schema import Context, create_schema

from .fakes import FakeReader, make_settings

#: GraphQL's own scalars, described by the spec rather than by this schema.
SPEC_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


async def introspected_types() -> list[dict[str, Any]]:
    """The schema's types as a client's introspection query sees them."""
    settings = make_settings()
    schema = create_schema(settings)
    context = Context(settings=settings, reader=FakeReader(), request_id="docs")
    result = await schema.execute(get_introspection_query(descriptions=True), context_value=context)
    assert result.errors is None and result.data is not None
    return [
        t
        for t in result.data["__schema"]["types"]
        if not t["name"].startswith("__") and t["name"] not in SPEC_SCALARS
    ]


def undescribed(types: list[dict[str, Any]]) -> list[str]:
    """Every place of `types` without a description, as `Type`, `Type.field`,
    `Type.field(argument)`, `Input.field` or `Enum.VALUE`."""
    missing: list[str] = []

    def check(place: str, item: dict[str, Any]) -> None:
        if not (item.get("description") or "").strip():
            missing.append(place)

    for t in types:
        name = t["name"]
        check(name, t)
        for f in t.get("fields") or ():
            check(f"{name}.{f['name']}", f)
            for a in f.get("args") or ():
                check(f"{name}.{f['name']}({a['name']})", a)
        for f in t.get("inputFields") or ():
            check(f"{name}.{f['name']}", f)
        for v in t.get("enumValues") or ():
            check(f"{name}.{v['name']}", v)
    return missing


async def test_every_type_field_argument_and_enum_value_is_described():
    missing = undescribed(await introspected_types())
    assert not missing, f"{len(missing)} places of the schema have no description:\n" + "\n".join(
        missing
    )


def test_the_check_finds_what_is_missing():
    types = [
        {
            "name": "Thing",
            "description": "A thing.",
            "fields": [
                {"name": "ok", "description": "Described.", "args": []},
                {
                    "name": "bare",
                    "description": None,
                    "args": [{"name": "at", "description": " "}],
                },
            ],
        },
        {"name": "Kind", "description": "", "enumValues": [{"name": "A", "description": None}]},
        {"name": "Where", "description": "x", "inputFields": [{"name": "f", "description": ""}]},
    ]
    assert undescribed(types) == ["Thing.bare", "Thing.bare(at)", "Kind", "Kind.A", "Where.f"]
