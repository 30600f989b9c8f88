"""docs/from-pylon.md, the guide for users of the REST bittensor-pylon: every endpoint of the old
server is mapped, and every GraphQL document in it is valid against the schema served today
(a renamed field or argument fails here, not in a reader's hands)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from pylon_gql.schema import create_schema
from tests.e2e.conftest import settings_for

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "from-pylon.md"

#: bittensor-pylon's routes, read from its source: the newest version (`master`, November
#: 2025: pylon/service/api.py, pylon/_internal/common/endpoints.py) and the versions before the
#: October 2025 rewrite (pylon_service/api.py, pylon_common/constants.py).
OLD_ENDPOINTS = (
    "GET /api/v1/subnet/{netuid}/neurons/latest",
    "GET /api/v1/subnet/{netuid}/neurons/{block_number}",
    "GET /api/v1/subnet/{netuid}/certificates",
    "GET /api/v1/subnet/{netuid}/certificates/{hotkey}",
    "GET /api/v1/identity/{identity_name}/subnet/{netuid}/neurons/latest",
    "PUT /api/v1/identity/{identity_name}/subnet/{netuid}/weights",
    "GET /api/v1/identity/{identity_name}/subnet/{netuid}/certificates/self",
    "POST /api/v1/identity/{identity_name}/subnet/{netuid}/certificates/self",
    "GET /health",
    "GET /latest_block",
    "GET /latest_metagraph",
    "GET /metagraph/{block}",
    "GET /block_hash/{block}",
    "GET /block_timestamp/{block}",
    "GET /epoch",
    "GET /epoch/{block}",
    "GET /hyperparams",
    "PUT /set_hyperparam",
    "PUT /update_weight",
    "PUT /set_weight",
    "PUT /set_weights",
    "GET /latest_weights",
    "GET /weights/{block}",
    "POST /force_commit_weights",
    "GET /commitment/{hotkey}",
    "GET /commitments",
    "POST /set_commitment",
    "PUT /api/v1/subnet/weights",
    "GET /certificates",
    "GET /certificates/{hotkey}",
    "GET /certificates/self",
    "POST /certificates/self",
)


def table_rows() -> list[tuple[str, str]]:
    """(old endpoint cell, pylon-gql cell) of every table row."""
    rows = []
    for line in GUIDE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 2:
            rows.append((cells[0], cells[1]))
    return rows


def test_every_old_endpoint_is_mapped() -> None:
    rows = table_rows()
    for endpoint in OLD_ENDPOINTS:
        method, path = endpoint.split(" ", 1)
        found = [
            new
            for old, new in rows
            # `GET /x` or `GET /x`, `GET /y` (one row for several), or `(and `/suffix`...)`.
            if f"`{endpoint}`" in old or (f"`{method} " in old and f"{path}`" in old)
        ]
        assert found, f"{endpoint} is not in a table of docs/from-pylon.md"
        assert all(new for new in found), endpoint


def graphql_blocks() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)


def test_the_guide_has_examples() -> None:
    assert len(graphql_blocks()) >= 10


@pytest.mark.parametrize("document", graphql_blocks())
def test_each_example_is_valid_against_the_schema(document: str) -> None:
    schema = create_schema(settings_for())._schema
    errors = validate(schema, parse(document))
    assert errors == [], [error.message for error in errors]


def test_the_readme_links_the_guide() -> None:
    assert "(docs/from-pylon.md)" in (ROOT / "README.md").read_text()
