"""Property-based fuzzing of POST /graphql: documents hypothesis-graphql builds from the schema.

Every answer must be a GraphQL answer of the server's own making: no 5xx, and no error coded
INTERNAL_SERVER_ERROR (which means a bug). Derandomized, so CI runs the same few hundred cases
every time; `PYLON_FUZZ_EXAMPLES` runs more locally.

Then odd input where the domain's rules judge it (pylon_gql/validation.py): every argument that
takes a hotkey, an address, a block hash or a block number, found in the schema (queries,
mutations, subscriptions, and the input objects they take), given empty, blank, unicode-space,
control-character, very long and random strings and numbers: a typed error (BAD_USER_INPUT for
a string no address or hash can be), never INTERNAL_SERVER_ERROR, and no traceback in the
answer or in the server's log. And raw request bodies: never a 5xx, always a request id.

The server runs in a subprocess (`pylon-gql serve` on its embedded simnet), so that the
synchronous test Hypothesis drives does not share an event loop with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    StringValueNode,
    Undefined,
    ast_from_value,
    build_schema,
    get_named_type,
    is_leaf_type,
    print_ast,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries
from websockets.sync.client import connect

from pylon_gql.schema import schema_sdl

from .conftest import PATIENCE, free_port
from .hostile.server import PYLON_GQL

#: The server's start (a minute on a loaded machine) counts in the first test's time, and a few
#: hundred cases follow it: more than the suite's 120 s.
pytestmark = pytest.mark.timeout(600)

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


@dataclass
class FuzzServer:
    url: str
    log: Path

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
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
            # Twice the patience: the start alone takes a minute on a loaded machine.
            for _ in range(int(PATIENCE * 20)):
                if process.poll() is not None:
                    raise AssertionError(log.read_text(errors="replace")[-3000:])
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/health").status_code == 200:
                        break
                subprocess.run(["sleep", "0.1"], check=True)
            else:
                raise AssertionError("never healthy:\n" + log.read_text(errors="replace")[-3000:])
        yield FuzzServer(url, log)
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
def client(server: FuzzServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=PATIENCE) as client:
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


# --- odd input to every argument the domain's rules judge

#: Arguments (and input fields) that take a hotkey, an address, a block hash or a block number.
JUDGED = re.compile(r"hotkey|coldkey|address|hash|block|epoch|^number$", re.IGNORECASE)
#: A hotkey registered on the simulated subnet (uid 1): other arguments' values are valid.
REGISTERED = "5Ea2RVY5RHhYDv9HekbEWbucwDFFWY8C4mu824QpfJtHUrTo"
#: Odd strings: blank, unicode spaces, control and format characters, near-addresses, long.
ODD_STRINGS = [
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    " \t ",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u202e",
    "\x00",
    "\x7f",
    "0x",
    "0x" + "g" * 64,
    "5",
    "27",
    " " + REGISTERED,
    REGISTERED + "\x00",
    "\ufeff" + REGISTERED,
    REGISTERED[:-1],
    "5" * 49,
    # SS58 account indices: valid checksums, no 32-byte key
    "F7NZ",
    "25GpW4",
    "3MrpX7cscKfRue",
    " " * 100_000,
    "a " * 50_000,
    "\t" * 10_000,
]
ODD_NUMBERS: list[Any] = [-1, -(2**31), 2**31 - 1, 2**31, 2**63, 1.5, float("1e300"), True, [], {}]
ODD = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.text(st.characters(categories=["Zs", "Zl", "Zp", "Cc", "Cf"]), max_size=12),
    st.text(max_size=80),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from([" ", "\t", "5", "é", "\u3000"]),
        st.integers(49, 70_000),
    ),
    st.sampled_from(ODD_NUMBERS),
    st.integers(),
)


@dataclass(frozen=True)
class Target:
    """One judged argument, as a document with the odd value in `$v` (at `path` inside it)."""

    operation: str  # query, mutation or subscription
    label: str
    document: str
    variable_type: str
    path: tuple[str | int, ...]  # where the odd value goes inside $v (empty: $v itself)
    base: Any  # $v's value, with the odd one still to put in

    def variables(self, odd: Any) -> dict[str, Any]:
        if not self.path:
            return {"v": odd}
        value = json.loads(json.dumps(self.base))
        inner = value
        for step, following in zip(self.path, self.path[1:], strict=False):
            if isinstance(inner, list):
                while len(inner) <= int(step):
                    inner.append({})
            elif inner.get(step) is None:
                inner[step] = [] if isinstance(following, int) else {}
            inner = inner[step]  # type: ignore[index]
        last = self.path[-1]
        if isinstance(inner, list):
            inner[:] = [odd]
        else:
            inner[last] = odd
        return {"v": value}


def literal(type_: GraphQLInputType) -> Any:
    """A valid value of `type_` (as a Python value, for variables)."""
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [literal(type_.of_type)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: literal(field.type)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    return {"Int": 0, "Float": 1.0, "Boolean": False, "String": REGISTERED, "JSON": 1}.get(
        type_.name,
        REGISTERED,  # type: ignore[union-attr]
    )


def judged_paths(
    type_: GraphQLInputType, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Where inside a value of input object `type_` a judged field is, and the value around it."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLInputObjectType):
        return
    for name, field in named.fields.items():
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        step: tuple[str | int, ...] = (name, 0) if isinstance(inner, GraphQLList) else (name,)
        if JUDGED.search(name) and is_leaf_type(get_named_type(field.type)):
            yield path + step, None
        else:
            yield from judged_paths(field.type, path + step)


def required_arguments(field: GraphQLField, skip: str | None = None) -> str:
    parts = []
    for name, argument in field.args.items():
        if name == skip or not isinstance(argument.type, GraphQLNonNull):
            continue
        if argument.default_value is not Undefined:
            continue
        value = ast_from_value(literal(argument.type), argument.type)
        assert value is not None
        parts.append(f"{name}: {print_ast(value)}")
    return ", ".join(parts)


def _call(name: str, arguments: str, inner: str) -> str:
    return f"{name}{f'({arguments})' if arguments else ''} {inner}".strip()


def targets() -> list[Target]:
    schema = build_schema(SDL)
    found: list[Target] = []

    def visit(kind: str, owner: GraphQLObjectType, wrap: list[tuple[str, str]], depth: int) -> None:
        for name, field in owner.fields.items():
            returned = get_named_type(field.type)
            selection = "" if is_leaf_type(returned) else "{ __typename }"
            for argument_name, argument in field.args.items():
                argument_type: GraphQLInputType = argument.type
                chain = [*wrap, (name, "")]
                cases: list[tuple[tuple[str | int, ...], Any]] = []
                if JUDGED.search(argument_name):
                    cases.append(((), None))
                listed = isinstance(
                    argument_type.of_type
                    if isinstance(argument_type, GraphQLNonNull)
                    else argument_type,
                    GraphQLList,
                )
                for path, _ in judged_paths(argument_type):
                    cases.append(((0, *path) if listed else path, literal(argument_type)))
                for path, base in cases:
                    call = _call(
                        name,
                        ", ".join(
                            p
                            for p in (
                                f"{argument_name}: $v",
                                required_arguments(field, argument_name),
                            )
                            if p
                        ),
                        selection,
                    )
                    for outer, outer_arguments in reversed(wrap):
                        call = _call(outer, outer_arguments, "{ " + call + " }")
                    label = ".".join([*(n for n, _ in chain), argument_name, *map(str, path)])
                    document = f"{kind} ($v: {argument_type}) {{ {call} }}"
                    found.append(Target(kind, label, document, str(argument_type), path, base))
            nested = isinstance(returned, GraphQLObjectType) and required_arguments(field) == ""
            if depth < 2 and nested:
                visit(kind, returned, [*wrap, (name, "")], depth + 1)  # type: ignore[arg-type]

    for kind, root in (
        ("query", schema.query_type),
        ("mutation", schema.mutation_type),
        ("subscription", schema.subscription_type),
    ):
        assert root is not None
        visit(kind, root, [], 0)
    return found


TARGETS = targets()
#: Seconds a subscription may stay quiet: one that neither answers nor fails has taken its input.
SUBSCRIPTION_QUIET = 3.0
ALLOWED_CODES = {
    # A block the node cannot answer for at the moment (it retries, then says so): typed.
    "UNAVAILABLE",
    "BAD_USER_INPUT",
    "BLOCK_IN_FUTURE",
    "BLOCK_PRUNED",
    "NOT_FOUND",
    "NO_EPOCHS",
    "FORBIDDEN",
    "NOT_CONFIGURED",
    "QUERY_TOO_COMPLEX",
}


def test_the_targets_cover_every_judged_argument() -> None:
    labels = {target.label for target in TARGETS}
    for label in [
        "block.hash",
        "block.number",
        "metagraph.block",
        "metagraph.neurons.where.hotkeys.0",
        "metagraph.neurons.where.coldkeys.0",
        "neuron.hotkey",
        "commitment.hotkey",
        "commitment.block",
        "weights.block",
        "setWeight.hotkey",
        "updateWeight.hotkey",
        "setWeights.weights.0.hotkey",
        "newBlock.fromBlock",
        "neuronRegistrations.hotkeys",
        "commitmentChanged.hotkeys",
    ]:
        assert label in labels, sorted(labels)


def answer_of(server: FuzzServer, client: httpx.Client, target: Target, odd: Any) -> dict:
    """The answer to `target` with `odd` in it: over HTTP, or a subscription's first message."""
    variables = target.variables(odd)
    if target.operation != "subscription":
        headers = {"authorization": f"Bearer {VALIDATOR}"}
        body = {"query": target.document, "variables": variables}
        response = client.post("/graphql", json=body, headers=headers)
        assert response.status_code < 500, (target.label, response.text[:500])
        assert response.headers.get("x-request-id")
        return response.json()
    url = server.url.replace("http", "ws", 1) + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {"token": VALIDATOR}}))
        assert json.loads(ws.recv(PATIENCE))["type"] == "connection_ack"
        payload = {"query": target.document, "variables": variables}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            try:
                message = json.loads(ws.recv(SUBSCRIPTION_QUIET))
            except TimeoutError:
                return {}  # taken: the subscription runs, waiting for events
            if message["type"] == "ping":
                ws.send(json.dumps({"type": "pong"}))
            elif message["type"] == "error":
                return {"errors": message["payload"]}
            elif message["type"] == "next":
                return message["payload"]
            else:
                return {}  # complete


def check_odd(server: FuzzServer, client: httpx.Client, target: Target, odd: Any) -> None:
    log_offset = server.log_size()
    answer = answer_of(server, client, target, odd)
    text = json.dumps(answer)
    assert "Traceback" not in text and 'File "' not in text, (target.label, text[:500])
    errors = answer.get("errors") or []
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    assert set(codes) <= ALLOWED_CODES, (target.label, repr(odd)[:80], errors)
    for error in errors:
        assert len(error["message"]) < 600, (target.label, error["message"][:300])
    is_string_argument = "String" in target.variable_type or target.path
    if isinstance(odd, str) and odd in ODD_STRINGS and is_string_argument:
        # No address or hash is any of these: refused as the caller's input, by name, or as a
        # write's ValidationError.
        refused = "BAD_USER_INPUT" in codes or "ValidationError" in text
        assert refused, (target.label, repr(odd)[:80], text[:300])
    logged = server.log_since(log_offset)
    assert "Traceback" not in logged, (target.label, repr(odd)[:80], logged[-3000:])


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label)
def test_odd_strings_are_refused_as_bad_input(
    server: FuzzServer, client: httpx.Client, target: Target
) -> None:
    for odd in [*ODD_STRINGS, *ODD_NUMBERS]:
        check_odd(server, client, target, odd)


@settings(FUZZ, max_examples=max(1, EXAMPLES))
@given(target=st.sampled_from(TARGETS), odd=ODD)
def test_odd_input_never_answers_an_internal_error(
    server: FuzzServer, client: httpx.Client, target: Target, odd: Any
) -> None:
    check_odd(server, client, target, odd)


# --- raw request bodies

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "application/graphql-response+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "text/plain",
    "",
]
BODIES = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.one_of(st.text(max_size=40), st.integers(), st.none()),
            "variables": st.one_of(
                st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
                st.text(max_size=5),
                st.integers(),
            ),
            "operationName": st.one_of(st.text(max_size=10), st.integers(), st.none()),
            "extensions": st.one_of(
                st.dictionaries(st.text(max_size=5), st.integers()), st.text(max_size=5)
            ),
        },
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(
    body=BODIES,
    content_type=st.sampled_from(CONTENT_TYPES),
    method=st.sampled_from(["POST", "GET"]),
)
def test_malformed_bodies_answer_an_error_with_a_request_id(
    server: FuzzServer, client: httpx.Client, body: bytes, content_type: str, method: str
) -> None:
    log_offset = server.log_size()
    headers = {"content-type": content_type}
    if method == "GET":
        response = client.get(
            "/graphql", params={"query": body.decode(errors="replace")}, headers=headers
        )
    else:
        response = client.post("/graphql", content=body, headers=headers)
    assert response.status_code < 500, (body[:100], content_type, response.text[:300])
    assert response.headers.get("x-request-id"), (body[:100], content_type, response.status_code)
    if response.status_code >= 400:
        codes = [e["extensions"]["code"] for e in response.json()["errors"]]
        assert "INTERNAL_SERVER_ERROR" not in codes
    assert "Traceback" not in server.log_since(log_offset)
