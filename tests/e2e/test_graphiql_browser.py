"""GraphiQL in headless Chromium (Debian's `chromium`, driven by playwright) with no network: every
request outside loopback goes to a proxy that refuses it, so the page works only from this
server's own copy of its files. The editor mounts on this API's examples, a query runs, a
subscription streams blocks over the websocket, and the docs pane shows the schema's
descriptions. Screenshots go to the test's tmp dir (its path is printed)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pylon_gql.graphiql.assets import FETCH_COMMAND, complete_copy, locations
from pylon_gql.graphiql.fetch import FetchError, fetch
from pylon_gql.http.graphiql import GraphiQLFiles
from pylon_gql.services import Services
from pylon_gql.simnet import SimnetConfig

from .conftest import PATIENCE, running, settings_for, wait_for_health

CHROMIUM = shutil.which("chromium")

# CI installs chromium (.ci/run): there a missing one fails the test instead.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (`apt-get install -y chromium`; .ci/run does it)",
)

#: The port-9 proxy refuses every connection: only loopback (bypassed) is reachable.
NO_NETWORK = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]

VALIDATOR_TOKEN = "validator-secret"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = ".graphiql-response .CodeMirror"
EXECUTE = ".graphiql-execute-button"


@pytest.fixture
async def served_graphiql(tmp_path: Path) -> AsyncIterator[str]:
    """The server on a simnet making a block a second, GraphiQL's files fetched."""
    settings = settings_for(
        network="sim", netuid=2, data_dir=tmp_path, validator_tokens=VALIDATOR_TOKEN
    )
    if complete_copy(locations(tmp_path)) is None:
        fetch(tmp_path / "graphiql")  # CI fetched them already (.ci/run)
    services = Services(settings, simnet_config=SimnetConfig(port=0, block_time=1.0))
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE) as client,
    ):
        await wait_for_health(client)
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: .ci/run installs it with apt-get")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=NO_NETWORK)
        try:
            yield browser
        finally:
            await browser.close()


async def editor_text(page: Page, selector: str) -> str:
    return await page.eval_on_selector(selector, "element => element.CodeMirror.getValue()")


# The server's start takes 35 s on a loaded 2-core machine; the walk-through 20 s.
@pytest.mark.timeout(300)
async def test_graphiql_works_offline_from_local_files(
    served_graphiql: str, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("graphiql-screenshots")
    print(f"screenshots in {shots}")
    url = served_graphiql
    page = await browser.new_page(viewport={"width": 1400, "height": 860})
    page.set_default_timeout(PATIENCE * 1000)
    requested: list[str] = []
    websockets: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: websockets.append(socket.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await walk_through(page, url, shots, requested, websockets, errors)
    except BaseException:
        await page.screenshot(path=shots / "failed.png")
        raise


async def open_tab(page: Page, name: str) -> None:
    await page.locator(".graphiql-tab", has_text=name).click()
    # GraphiQL learns the tab's operation name in an editor change handler debounced by 100 ms
    # (@graphiql/react); an Execute clicked sooner sends the previous tab's name, which the
    # server refuses as the spec says ("no operation named 'Head'"). A person is slower.
    await page.wait_for_timeout(500)


async def walk_through(
    page: Page,
    url: str,
    shots: Path,
    requested: list[str],
    websockets: list[str],
    errors: list[str],
) -> None:
    await page.goto(f"{url}/graphql")
    await page.wait_for_selector(QUERY_EDITOR)
    # It opens on this API's examples, one tab each.
    tabs = await page.locator(".graphiql-tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["Head", "Validators", "NewBlocks", "Weights"]
    assert "query Head" in await editor_text(page, QUERY_EDITOR)
    await page.screenshot(path=shots / "1-opened.png")

    # A query runs and shows the head.
    await page.click(EXECUTE)
    await page.wait_for_function(
        f"() => document.querySelector({RESULT!r})?.CodeMirror.getValue().includes('\"head\"')"
    )
    answer = json.loads(await editor_text(page, RESULT))
    head = answer["data"]["head"]
    assert head["number"] > 0
    assert head["hash"].startswith("0x")
    assert "errors" not in answer
    await page.screenshot(path=shots / "2-query.png")

    # The subscription streams blocks, in order, over the websocket.
    await open_tab(page, "NewBlocks")
    assert "subscription NewBlocks" in await editor_text(page, QUERY_EDITOR)
    await page.click(EXECUTE)
    seen = await page.wait_for_function(
        """([selector, wanted]) => {
            const text = document.querySelector(selector)?.CodeMirror.getValue() ?? "";
            const seen = (window.blocksSeen ??= []);
            try {
                const number = JSON.parse(text).data.newBlock.number;
                if (!seen.includes(number)) seen.push(number);
            } catch {}
            return seen.length >= wanted && seen;
        }""",
        arg=[RESULT, 3],
        polling=50,
    )
    numbers = await seen.json_value()
    print(f"blocks streamed: {numbers}")
    assert numbers == sorted(numbers)
    assert numbers[-1] > numbers[0] >= head["number"]
    await page.screenshot(path=shots / "3-subscription.png")
    await page.click(EXECUTE)  # stops it
    assert [urlsplit(w).path for w in websockets] == ["/graphql"]

    # The weights' tab, with a validator token in its headers.
    await open_tab(page, "Weights")
    await page.get_by_role("button", name="Headers").click()
    headers = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    assert "Bearer <validator token>" in await editor_text(page, headers)
    await page.eval_on_selector(
        headers,
        "(element, token) => element.CodeMirror.setValue(JSON.stringify("
        "{Authorization: 'Bearer ' + token}))",
        VALIDATOR_TOKEN,
    )
    await page.click(EXECUTE)
    await page.wait_for_function(
        f"() => document.querySelector({RESULT!r})?.CodeMirror.getValue().includes('\"weights\"')"
    )
    answer = json.loads(await editor_text(page, RESULT))
    assert "errors" not in answer, answer
    assert answer["data"]["weights"]["weights"] == []  # none written yet
    await page.screenshot(path=shots / "4-weights.png")

    # The docs pane shows the schema's descriptions.
    await page.click('[aria-label="Show Documentation Explorer"]')
    await page.locator(".graphiql-doc-explorer a", has_text="Query").first.click()
    await page.wait_for_selector("text=The latest finalized block the server has seen.")
    await page.screenshot(path=shots / "5-docs.png")

    # Everything came from this server: its files, its answers.
    hosts = {urlsplit(u).hostname for u in requested if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requested
    assert any("/graphiql/static/graphiql@3.8.3/graphiql.min.js" in u for u in requested)
    assert errors == []
    # A shared link opens on its query.
    shared = "query Shared { head { number } }"
    await page.goto(f"{url}/graphql?q={quote(shared)}")
    await page.wait_for_selector(QUERY_EDITOR)
    assert await editor_text(page, QUERY_EDITOR) == shared

    # And nothing else could have: the CDN strawberry's page loads from cannot be reached.
    cdn = await page.evaluate(
        "() => fetch('https://unpkg.com/react@18.2.0/umd/react.production.min.js', "
        "{mode: 'no-cors'}).then(() => 'reached', () => 'refused')"
    )
    assert cdn == "refused"


async def test_without_its_files_or_internet_the_page_says_what_to_run(
    tmp_path: Path, browser: Browser
) -> None:
    """The CDN fallback, in a browser that cannot reach the CDN: the page names the command
    instead of "Loading..." for good."""

    def offline(target: Path) -> None:
        raise FetchError("no registry here")

    files = GraphiQLFiles([tmp_path / "graphiql"], fetcher=offline)

    async def graphiql(request: Request) -> Response:
        return files.page()

    app = Starlette(routes=[Route("/graphql", graphiql)])
    server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(PATIENCE):
            while not server.started:
                if serving.done():
                    serving.result()  # raises what stopped it
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{port}/graphql")
        message = page.locator("#not-loaded")
        await message.wait_for(state="visible", timeout=PATIENCE * 1000)
        text = await message.inner_text()
        assert "did not load from https://unpkg.com/" in text
        assert FETCH_COMMAND in text
        assert await page.locator("text=Loading...").count() == 0
        await page.screenshot(path=tmp_path / "not-loaded.png")
        print(f"screenshot in {tmp_path / 'not-loaded.png'}")
    finally:
        server.should_exit = True
        await serving
