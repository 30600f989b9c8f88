"""GraphiQL's page and files (pylon_gql/graphiql, pylon_gql/http/graphiql.py): the page loads its
files from this server when they are fetched, else from the CDN (said once in the log, and
fetched in the background); the fetch keeps only files whose pinned hashes match; the default
tabs are this API's examples, valid against the schema. tests/e2e/test_graphiql_browser.py runs
the page in Chromium."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import logging
import re
import shutil
import tarfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import graphql
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pylon_gql.graphiql import assets
from pylon_gql.graphiql.assets import ASSETS, Asset, NpmPackage, complete_copy, locations
from pylon_gql.graphiql.examples import TABS
from pylon_gql.graphiql.fetch import FetchError, fetch, main
from pylon_gql.http.graphiql import GraphiQLFiles
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import running, settings_for

ROOT = Path(__file__).resolve().parents[2]
BROWSER = {"accept": "text/html"}


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete copy of the files: the one already fetched, or a new one."""
    place = complete_copy(locations(Path("data")))
    if place is None:
        place = tmp_path_factory.mktemp("graphiql")
        fetch(place)
    return place


def app_of(files: GraphiQLFiles) -> Starlette:
    async def page(request: Request) -> Response:
        return files.page()

    return Starlette(
        routes=[
            Route("/graphql", page),
            Route("/graphiql/static/{name:path}", files.file),
        ]
    )


ClientOf = Callable[[GraphiQLFiles], httpx.AsyncClient]


@pytest.fixture
async def client_of() -> AsyncIterator[ClientOf]:
    clients: list[httpx.AsyncClient] = []

    def make(files: GraphiQLFiles) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app_of(files))  # type: ignore[arg-type]  # httpx 0.26
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_every_example_is_valid_against_the_schema() -> None:
    schema = graphql.build_schema((ROOT / "schema.graphql").read_text())
    names = []
    for tab in TABS:
        document = graphql.parse(tab["query"])
        assert graphql.validate(schema, document) == [], tab["query"]
        operation = document.definitions[0]
        assert isinstance(operation, graphql.OperationDefinitionNode) and operation.name
        names.append((operation.operation.value, operation.name.value))
    # A head block, a metagraph, a subscription and the weights, in tabs named after them.
    assert names == [
        ("query", "Head"),
        ("query", "Validators"),
        ("subscription", "NewBlocks"),
        ("query", "Weights"),
    ]


async def test_graphql_in_a_browser_opens_the_page_of_this_api(
    tmp_path: Path, fetched: Path
) -> None:
    shutil.copytree(fetched, tmp_path / "graphiql")  # the data dir's copy
    settings = settings_for(network="sim", netuid=2, data_dir=tmp_path)
    services = Services(settings, simnet_config=SimnetConfig(port=0, manual=True))
    async with running(settings, services) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/graphql", headers=BROWSER)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "query Head" in response.text
        assert "Welcome to GraphiQL" not in response.text
        # From this server, every file pinned by its hash.
        for asset in ASSETS:
            assert f'"graphiql/static/{asset.name}" integrity="{asset.sri}"' in response.text
            served = await client.get(f"/graphiql/static/{asset.name}")
            assert served.status_code == 200
            assert sri(served.content) == asset.sri


async def test_the_page_loads_its_files_from_this_server(
    fetched: Path, client_of: ClientOf
) -> None:
    client = client_of(GraphiQLFiles([fetched]))
    page = (await client.get("/graphql")).text
    assert assets.CDN not in page
    sources = re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', page)
    assert len(sources) == len(ASSETS)
    for source, integrity in sources:
        assert source.startswith("graphiql/static/")  # relative: kept under a path prefix
        response = await client.get(f"/{source}", headers={"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert sri(response.content) == integrity  # httpx has un-gzipped it
        kind = "text/css" if source.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(kind)
        assert "immutable" in response.headers["cache-control"]
    plain = await client.get(f"/graphiql/static/{ASSETS[0].name}", headers={"accept-encoding": ""})
    assert "content-encoding" not in plain.headers
    assert sri(plain.content) == ASSETS[0].sri


async def test_only_graphiqls_files_are_served(fetched: Path, client_of: ClientOf) -> None:
    client = client_of(GraphiQLFiles([fetched / "react@18.2.0"]))
    for name in ("umd/react.production.min.js", "../react@18.2.0/package.json", "x.js"):
        assert (await client.get(f"/graphiql/static/{name}")).status_code == 404
    client = client_of(GraphiQLFiles([fetched.parent / "nothing-here"]))
    missing = await client.get(f"/graphiql/static/{ASSETS[0].name}")
    assert missing.status_code == 404
    assert assets.FETCH_COMMAND in missing.text


async def test_without_its_files_the_page_uses_the_cdn_says_so_once_and_fetches_them(
    tmp_path: Path, fetched: Path, client_of: ClientOf, caplog: pytest.LogCaptureFixture
) -> None:
    place = tmp_path / "graphiql"
    asked: list[Path] = []

    def fetcher(target: Path) -> None:
        asked.append(target)
        raise FetchError("the registry cannot be reached")

    files = GraphiQLFiles([place], fetcher=fetcher)
    client = client_of(files)
    with caplog.at_level(logging.INFO, logger="pylon_gql.graphiql"):
        pages = [(await client.get("/graphql")).text for _ in range(3)]
        assert files.fetching is not None
        files.fetching.join(timeout=60)
    for page in pages:
        assert f'src="{assets.CDN}graphiql@3.8.3/graphiql.min.js"' in page
        assert "query Head" in page
    assert asked == [place]  # once, not per page
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    missing, failed = warnings
    assert str(place) in missing and assets.FETCH_COMMAND in missing and assets.CDN in missing
    assert "the registry cannot be reached" in failed and assets.FETCH_COMMAND in failed

    # Once the files are there (fetched by the command meanwhile), the page uses them.
    shutil.copytree(fetched, place)
    page = (await client.get("/graphql")).text
    assert assets.CDN not in page
    assert 'src="graphiql/static/graphiql@3.8.3/graphiql.min.js"' in page


# --- the fetch, against a registry of tarballs made here (file:// URLs)

PACKAGE = NpmPackage("@pylon/demo", "1.0.0", "")


def registry_with(root: Path, files: dict[str, bytes]) -> tuple[NpmPackage, str]:
    """A tarball of `files` (paths inside `package/`) where a registry at `root` keeps it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    tarball = buffer.getvalue()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    package = NpmPackage(PACKAGE.name, PACKAGE.version, integrity)
    target = Path(package.tarball_url(str(root)))
    target.parent.mkdir(parents=True)
    target.write_bytes(tarball)
    return package, root.as_uri()


def test_the_fetch_keeps_the_pinned_files_whole_with_a_gzip_copy(tmp_path: Path) -> None:
    script = b"console.log('pinned');"
    package, registry = registry_with(tmp_path / "registry", {"dist/a.js": script, "b": b"x"})
    dest = tmp_path / "out"
    written = fetch(dest, registry=registry, assets=[Asset(package, "dist/a.js", sri(script))])
    target = dest / "@pylon/demo@1.0.0/dist/a.js"
    assert written == [target]
    assert target.read_bytes() == script
    assert gzip.decompress(target.with_name("a.js.gz").read_bytes()) == script
    # Only the file asked for, and no temporary file left behind.
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.js", "a.js.gz"]


def test_the_fetch_refuses_a_tarball_or_file_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    script = b"console.log('pinned');"
    package, registry = registry_with(tmp_path / "registry", {"dist/a.js": script})
    dest = tmp_path / "out"
    tampered = NpmPackage(package.name, package.version, "sha512-" + "A" * 86 + "==")
    with pytest.raises(FetchError, match="tarball is not the pinned one"):
        fetch(dest, registry=registry, assets=[Asset(tampered, "dist/a.js", sri(script))])
    with pytest.raises(FetchError, match=r"dist/a\.js is not the pinned one"):
        fetch(dest, registry=registry, assets=[Asset(package, "dist/a.js", sri(b"other"))])
    with pytest.raises(FetchError, match=r"has no file dist/b\.js"):
        fetch(dest, registry=registry, assets=[Asset(package, "dist/b.js", sri(script))])
    assert not dest.exists() or not any(p.is_file() for p in dest.rglob("*"))


def test_the_fetch_command_says_why_it_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = (tmp_path / "no-registry").as_uri()
    assert main(["--dest", str(tmp_path / "out"), "--registry", registry]) == 1
    error = capsys.readouterr().err
    assert "GraphiQL's files were not fetched: cannot download" in error
    assert "graphiql-3.8.3.tgz" in error
