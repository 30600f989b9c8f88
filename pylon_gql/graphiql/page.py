"""GraphiQL's page: strawberry's, loading its files from a base URL (this server's copy, or the
CDN), and opening on this API's examples."""

from __future__ import annotations

import functools
import html
import json
from importlib import resources

from .assets import FETCH_COMMAND, SCRIPTS, STYLES
from .examples import TABS


@functools.cache
def _template() -> str:
    return resources.files("pylon_gql.graphiql").joinpath("page.html").read_text(encoding="utf-8")


def render(base: str) -> str:
    """The page, its files at `base` + each file's name (`graphiql/static/`, relative to the
    page's /graphql, or the CDN's address); each checked by the browser against its sha384."""
    crossorigin = " crossorigin" if base.startswith(("http:", "https:")) else ""
    styles = "\n".join(
        f'    <link rel="stylesheet"{crossorigin} href="{html.escape(base + a.name)}" '
        f'integrity="{a.sri}" />'
        for a in STYLES
    )
    scripts = "\n".join(
        f'    <script{crossorigin} src="{html.escape(base + a.name)}" integrity="{a.sri}"></script>'
        for a in SCRIPTS
    )
    # JSON inside <script>: "</" would end the element.
    tabs = json.dumps(TABS, indent=2).replace("</", "<\\/")
    return (
        _template()
        .replace("__SOURCE__", html.escape(base))
        .replace("__FETCH_COMMAND__", html.escape(FETCH_COMMAND))
        .replace("__STYLES__", styles)
        .replace("__SCRIPTS__", scripts)
        .replace("__TABS__", tabs)
    )
