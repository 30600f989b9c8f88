"""The house's rules, read from the source: no import cycle, turbobt behind one adapter, the
simnet apart from the server, the client apart from both, and no module too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "pylon_gql", ROOT / "client" / "pylon_gql_client")
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            parts = path.relative_to(package.parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every module `name` imports, absolute, at any depth of the file (TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    every = modules()
    return {
        name: {imported for imported in imports_of(name, path) if imported in every} - {name}
        for name, path in every.items()
    }


def test_no_import_cycle() -> None:
    edges = graph()
    # A package's __init__ re-exports its modules: that arrow is not a cycle of the house.
    for name, targets in edges.items():
        edges[name] = {t for t in targets if not name.startswith(f"{t}.")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_only_the_chain_adapter_touches_turbobt() -> None:
    offenders = {
        name
        for name, path in modules().items()
        if any(i == "turbobt" or i.startswith("turbobt.") for i in imports_of(name, path))
        and not name.startswith("pylon_gql.chain.")
    }
    assert offenders == set()


@pytest.mark.parametrize(
    ("package", "may_import"),
    [
        # The simulated node is a tool of its own: the server starts it, never the reverse.
        ("pylon_gql.simnet", ("pylon_gql.simnet", "pylon_gql.scale", "pylon_gql.runtime_metadata")),
        # The client is its own distribution: a validator installs it without the server.
        ("pylon_gql_client", ("pylon_gql_client",)),
        # The domain model and the rules are the floor every layer stands on.
        ("pylon_gql.models", ()),
        ("pylon_gql.validation", ()),
        # The SCALE codec serves the node (encoding) and the chain adapter (decoding) alike.
        ("pylon_gql.scale", ()),
        # The metadata's one decode per process, shared by the node and the chain adapter.
        ("pylon_gql.runtime_metadata", ("pylon_gql.scale",)),
    ],
)
def test_what_stands_apart_imports_nothing_above_it(
    package: str, may_import: tuple[str, ...]
) -> None:
    every = modules()
    reaches = {
        (name, imported)
        for name, targets in graph().items()
        if name == package or name.startswith(f"{package}.")
        for imported in targets
        if not imported.startswith(may_import) or not may_import
    }
    assert {(n, i) for n, i in reaches if i in every} == set()


def test_no_module_is_too_long_to_read() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in modules().values()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
