from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from pylon_gql.schema import Context, create_schema
from pylon_gql.settings import Settings

from .fakes import FakeReader, make_settings

Execute = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def settings() -> Settings:
    return make_settings(max_page_size=6)


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def execute(settings: Settings, reader: FakeReader) -> Execute:
    """Run a GraphQL document against the schema; the answer as a client would get it."""
    schema = create_schema(settings)

    async def run(
        document: str, variables: dict[str, Any] | None = None, **context: Any
    ) -> dict[str, Any]:
        ctx = Context(settings=settings, reader=reader, request_id="req-1", **context)
        result = await schema.execute(document, variable_values=variables, context_value=ctx)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return answer

    return run
