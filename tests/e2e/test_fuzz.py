"""Property-based fuzzing of POST /graphql: documents hypothesis-graphql builds from the schema.

Every answer must be a GraphQL answer of the server's own making: no 5xx, and no error coded
INTERNAL_SERVER_ERROR (which means a bug). Derandomized, so CI runs the same few hundred cases
every time; `PYLON_FUZZ_EXAMPLES` runs more locally.

The server runs in a subprocess (`pylon-gql serve` on its embedded simnet), so that the
synchronous test Hypothesis drives does not share an event loop with it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import StringValueNode
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from pylon_gql.schema import schema_sdl

from .conftest import PATIENCE, free_port
from .hostile.server import PYLON_GQL

VALIDATOR = "fuzz-validator-token"
EXAMPLES = int(os.environ.get("PYLON_FUZZ_EXAMPLES", "210"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # Shrinking a failure replays many slow cases; the first one found is reported as is.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: The custom scalars' values, as GraphQL literals (hypothesis-graphql needs them for inputs).
SCALARS: dict[str, Any] = {
    "BigInt": st.integers(min_value=-(2**70), max_value=2**70).map(
        lambda n: StringValueNode(value=str(n))
    ),
    "JSON": st.text(max_size=20).map(lambda s: StringValueNode(value=s)),
    "DateTime": st.just(StringValueNode(value="2026-01-01T00:00:00Z")),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYLON_")} | {
        "PYLON_PORT": str(port),
        "PYLON_DATA_DIR": str(tmp / "data"),
        "PYLON_VALIDATOR_TOKENS": VALIDATOR,
        "PYLON_RATE_LIMITS": "false",
        # Writes wait for finalization: quick blocks keep a mutation's case short.
        "PYLON_SIM_BLOCK_TIME": "0.5",
        # Writes need the validator's wallet: the sim's dev one (//Bob) when left unset.
    }
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([PYLON_GQL, "serve"], cwd=tmp, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=5) as client:
            for _ in range(int(PATIENCE * 10)):
                if process.poll() is not None:
                    raise AssertionError(log.read_text(errors="replace")[-3000:])
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/health").status_code == 200:
                        break
                subprocess.run(["sleep", "0.1"], check=True)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(
        f"\nfuzz server log: {Path(log).read_text(errors='replace').count('Traceback')} tracebacks"
    )


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=PATIENCE) as client:
        yield client


def check(client: httpx.Client, document: str, token: str | None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code < 500, (response.status_code, document, response.text[:500])
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, body["errors"])


SDL = schema_sdl()


@FUZZ
@given(document=queries(SDL, custom_scalars=SCALARS), with_token=st.booleans())
def test_queries_never_answer_an_internal_error(
    client: httpx.Client, document: str, with_token: bool
) -> None:
    check(client, document, VALIDATOR if with_token else None)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 3))  # each write waits for a block
@given(document=mutations(SDL, custom_scalars=SCALARS), with_token=st.booleans())
def test_mutations_never_answer_an_internal_error(
    client: httpx.Client, document: str, with_token: bool
) -> None:
    check(client, document, VALIDATOR if with_token else None)
