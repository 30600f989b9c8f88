"""`schema.graphql` at the repository root is the schema the code defines."""

from __future__ import annotations

from pathlib import Path

from pylon_gql.schema import schema_sdl

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is out of date: run `pylon-gql export-schema`"
    )
