"""The Python examples of the client's README (`client/README.md`) as a user copies them: each
type-checks under pyright, with the project's settings, and those that can run do, against the
test server.

An example that uses a name it does not define (`client`, the user's own `run_one_step`) gets a
stub of it; top-level `await` is put in a coroutine for pyright and awaited as is to run.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pylon_gql_client import AsyncPylonClient

from .conftest import Server

ROOT = Path(__file__).parents[2]
README = ROOT / "client" / "README.md"
#: The URL the examples give, replaced with the test server's to run them.
EXAMPLE_URL = "http://127.0.0.1:8000"

#: What a stub defines for each name the examples leave to the reader.
STUBS = {
    "client": f'client = AsyncPylonClient("{EXAMPLE_URL}")',
    "my_epoch": "my_epoch: Epoch = _given()",
    "run_one_step": "async def run_one_step(client: FakeAsyncPylonClient) -> None: ...",
}
PRELUDE = """\
from typing import Any

from pylon_gql_client import AsyncPylonClient, Epoch
from pylon_gql_client.testing import FakeAsyncPylonClient


def _given() -> Any: ...

"""


def examples() -> list[str]:
    """The README's ```python blocks, in order."""
    text = README.read_text(encoding="utf-8")
    blocks = text.split("```python\n")[1:]
    return [block[: block.index("```")] for block in blocks]


def free_names(source: str) -> set[str]:
    """Names `source` reads without defining them (builtins aside)."""
    tree = ast.parse(source)
    stored: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stored.add(node.name)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stored.add(node.name)
    return loaded - stored - set(dir(builtins))


def awaits_at_top(source: str) -> bool:
    """Whether `source` uses `await`, `async for` or `async with` outside a function."""
    try:
        compile(source, "<example>", "exec")
    except SyntaxError:
        compile(source, "<example>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        return True
    return False


def checkable(source: str) -> str:
    """`source` as a module pyright can check: stubs first, top-level awaits in a coroutine."""
    unknown = free_names(source) - set(STUBS)
    assert not unknown, f"the README example uses {unknown}: stub them in STUBS"
    stubs = [STUBS[name] for name in sorted(free_names(source))]
    body = source
    if awaits_at_top(source):
        body = "async def _example() -> None:\n" + textwrap.indent(source, "    ")
    return PRELUDE + "\n".join(stubs) + "\n\n\n" + body


def pyright(files: list[Path]) -> list[dict[str, Any]]:
    """pyright's diagnostics for `files`, run as the project runs it (its settings)."""
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stdout)
    return [d for d in report["generalDiagnostics"] if d["severity"] == "error"]


def test_the_readme_has_the_examples_this_test_knows() -> None:
    found = examples()
    assert len(found) >= 8
    assert any("fields=[" in example for example in found)
    assert any("subscribe_blocks" in example for example in found)


def test_every_example_type_checks_and_pyright_sees_a_field_not_asked_for(
    tmp_path: Path,
) -> None:
    files = []
    for index, example in enumerate(examples()):
        path = tmp_path / f"example_{index}.py"
        path.write_text(checkable(example), encoding="utf-8")
        files.append(path)
    # The control: the dashboard's neurons with a field it did not ask for.
    [dashboard] = [e for e in examples() if '"validatorTrust"],  # only these' in e]
    wrong = tmp_path / "not_asked_for.py"
    wrong.write_text(checkable(dashboard + "print(top[0].coldkey)\n"), encoding="utf-8")
    errors = pyright([*files, wrong])
    by_file = {Path(e["file"]).name: e["message"] for e in errors}
    assert list(by_file) == ["not_asked_for.py"], errors
    assert 'Cannot access attribute "coldkey"' in by_file["not_asked_for.py"]


async def test_the_examples_run_against_a_server(server: Server) -> None:
    # A real chain has blocks before the head: the history example reads the last 4 (the
    # simnet starts at its snapshot, and a fresh test server may still be there).
    await server.produce_blocks(4)
    ran = 0
    for example in examples():
        if "local_server" in example:
            continue  # starts a server of its own: test_local.py runs it
        source = example.replace(EXAMPLE_URL, server.url)
        namespace: dict[str, Any] = {"__name__": "readme_example"}
        if awaits_at_top(source):
            code = compile(source, "<example>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            async with AsyncPylonClient(server.url) as client:
                namespace["client"] = client
                result = eval(code, namespace)
                if asyncio.iscoroutine(result):
                    await result
        else:
            # asyncio.run, or the blocking client: both want a thread without a running loop.
            await asyncio.to_thread(exec, source, namespace)
        ran += 1
    assert ran >= 6


@pytest.mark.parametrize("name", sorted(STUBS))
def test_each_stub_is_used(name: str) -> None:
    # A stub no example needs any more hides nothing; one too many is a stale test.
    assert any(name in free_names(example) for example in examples())
