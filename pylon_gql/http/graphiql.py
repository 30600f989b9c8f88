"""GraphiQL at GET /graphql, its files served by this server from a fetched copy
(pylon_gql/graphiql), so that it works in a browser without internet. Without a copy the page
loads them from the CDN, says so once in the log, and fetches them in the background: the
pages after that are served locally."""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from ..graphiql import assets, page
from ..graphiql.fetch import fetch

log = logging.getLogger("pylon_gql.graphiql")

#: Where the page finds its files: relative to /graphql, so that a path prefix added by a proxy
#: is kept.
STATIC_PATH = "graphiql/static/"

# Each file's name carries its version: a browser may keep it for good.
CACHED_FOR_GOOD = "public, max-age=31536000, immutable"


class GraphiQLFiles:
    """GraphiQL's page and files, from the first complete copy in `places`."""

    def __init__(
        self, places: Sequence[Path], *, fetcher: Callable[[Path], object] = fetch
    ) -> None:
        self.places = tuple(places)
        self._fetcher = fetcher
        self._fetch_started = False
        self._lock = threading.Lock()
        #: The background fetch, once started (tests wait on it).
        self.fetching: threading.Thread | None = None

    def page(self) -> HTMLResponse:
        if assets.complete_copy(self.places) is not None:
            return HTMLResponse(page.render(STATIC_PATH))
        self._fetch_in_background()
        return HTMLResponse(page.render(assets.CDN))

    async def file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets.ASSETS_BY_NAME:
            return PlainTextResponse("no such GraphiQL file", status_code=404)
        place = next((p for p in self.places if (p / name).is_file()), None)
        if place is None:
            return PlainTextResponse(
                f"GraphiQL's files are not fetched: run `{assets.FETCH_COMMAND}`",
                status_code=404,
            )
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        headers = {"cache-control": CACHED_FOR_GOOD, "vary": "accept-encoding"}
        gzipped = place / f"{name}.gz"
        if "gzip" in request.headers.get("accept-encoding", "") and gzipped.is_file():
            headers["content-encoding"] = "gzip"
            return FileResponse(gzipped, media_type=media_type, headers=headers)
        return FileResponse(place / name, media_type=media_type, headers=headers)

    def _fetch_in_background(self) -> None:
        """Once per server: warn that the page needs the CDN, and fetch the files into the
        first place this user can write, in a thread that never holds up a request."""
        with self._lock:
            if self._fetch_started:
                return
            self._fetch_started = True
        target = next((p for p in self.places if assets.writable(p)), None)
        where = " or ".join(str(p) for p in self.places)
        log.warning(
            "GraphiQL's files are not in %s: its page loads them from %s, which a browser "
            "without internet cannot reach. `%s` fetches them (the Docker image has them); %s",
            where,
            assets.CDN,
            assets.FETCH_COMMAND,
            f"fetching them into {target} in the background now"
            if target is not None
            else "no such folder can be written by this user",
        )
        if target is None:
            return
        self.fetching = threading.Thread(
            target=self._fetch, args=(target,), name="graphiql-fetch", daemon=True
        )
        self.fetching.start()

    def _fetch(self, target: Path) -> None:
        try:
            self._fetcher(target)
        except Exception as error:  # logged: GraphiQL keeps working from the CDN
            log.warning(
                "GraphiQL's files could not be fetched into %s (%s): its page keeps loading "
                "them from %s; run `%s` where the npm registry can be reached",
                target,
                error,
                assets.CDN,
                assets.FETCH_COMMAND,
            )
            return
        log.info("GraphiQL's files fetched into %s: its page loads them from this server", target)
