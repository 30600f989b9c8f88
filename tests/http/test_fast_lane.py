"""The fast lane alone, in front of a stand-in app: what it hands on, and that the header
lists it remembers stay bounded whatever strangers send."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pylon_gql.http.fast_lane import MAX_REMEMBERED, FastLane


async def nothing_sent(message: Any) -> None:
    raise AssertionError("the stand-in app answers nothing, and the lane must not either")


class NothingKept:
    """A response cache that keeps nothing: every request goes on to the app."""

    answers = SimpleNamespace(generation=0)  # the store, as the lane reads it
    prerenderer = SimpleNamespace(head=None)

    def roles_of(self, authorization: str | None) -> str:
        return "" if authorization is None else "reader"

    def find(self, raw: Any) -> None:
        return None


async def test_what_it_does_not_serve_reaches_the_app_with_its_body_and_memory_stays_bounded():
    seen: list[tuple[str, bytes]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        seen.append((scope["method"], body))

    lane = FastLane(
        app,
        NothingKept(),  # type: ignore[arg-type]
        max_body_bytes=1000,
        limiter=None,
        allowed_hosts=["localhost"],
    )
    for n in range(MAX_REMEMBERED + 10):
        headers = [
            (b"host", b"localhost:8000"),
            (b"content-type", b"application/json"),
            (b"x-request-id", f"made-up-{n}".encode()),
        ]
        chunks = [{"type": "http.request", "body": b'{"query": ', "more_body": True}]
        chunks.append({"type": "http.request", "body": b'"{ head { number } }"}'})

        async def receive(chunks: list[dict[str, Any]] = chunks) -> dict[str, Any]:
            return chunks.pop(0)

        scope = {"type": "http", "path": "/graphql", "method": "POST", "headers": headers}
        await lane(scope, receive, nothing_sent)
    assert len(seen) == MAX_REMEMBERED + 10
    assert {body for _, body in seen} == {b'{"query": "{ head { number } }"}'}
    assert len(lane._judged) <= MAX_REMEMBERED
