"""The limit: the server's own answers served from memory by a bare ASGI app, no framework.

    python bench/raw_app.py PORT DIR (uvloop|asyncio) (httptools|h11)

Each file `DIR/<name>` is answered at `/<name>` (any method; the request body is read and
dropped), with the headers in `DIR/<name>.headers` (one `name: value` a line) and the status in
`DIR/<name>.status` when there is one (304 for a revalidation). bench/serving.py starts it once
on uvloop + httptools (what pylon-gql serves on) and once on asyncio + h11.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import uvicorn

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def load(directory: Path) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for path in directory.iterdir():
        if path.suffix:
            continue
        body = path.read_bytes()
        headers = [(b"content-type", b"application/json")]
        extra = path.with_suffix(".headers")
        if extra.exists():
            for line in extra.read_text().splitlines():
                name, _, value = line.partition(":")
                headers.append((name.strip().lower().encode(), value.strip().encode()))
        status_file = path.with_suffix(".status")
        status = int(status_file.read_text()) if status_file.exists() else 200
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode()))
        answers["/" + path.name] = (status, headers, body)
    return answers


def make_app(answers: dict[str, Answer]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        status, headers, body = answers[scope["path"]]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    port, directory, loop, http = sys.argv[1:5]
    uvicorn.run(
        make_app(load(Path(directory))),
        host="127.0.0.1",
        port=int(port),
        loop=loop,  # type: ignore[arg-type]
        http=http,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
