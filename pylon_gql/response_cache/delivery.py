"""How a kept answer goes out over HTTP: in the encoding the client accepts, with its entity
tag, with how long a cache in front may keep it, or as `304 Not Modified` to a client that has
it already. Both ways a request reaches a kept answer (the fast lane, `http/fast_lane.py`, and
the GraphQL view through `ResponseCache.serve`) send exactly what this module says.

Freshness: an answer pinned to a block never changes (a finalized block is final), so caches may
keep it for good (`immutable`); an answer at the head holds until the next block, so its
`max-age` is the seconds left until one is expected. Answers that depend on the caller's token
are `private`: a shared cache must not hand them to someone else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from .answer import Answer

#: A year: what HTTP caches take as "for good" (RFC 9111 advises no more).
PINNED_MAX_AGE = 31_536_000

_JSON = (b"content-type", b"application/json")
_GZIP = (b"content-encoding", b"gzip")
#: The answer differs by these request headers: caches in front must key by them too.
_VARY = (b"vary", b"Accept-Encoding, Authorization")


@dataclass(frozen=True, slots=True)
class Asked:
    """What of a request decides how an answer is delivered."""

    #: Only a GET may be answered 304 (RFC 9110: a failed If-None-Match on POST is a 412).
    revalidates: bool
    accepts_gzip: bool
    #: The raw `If-None-Match` value, if any.
    if_none_match: bytes | None


def accepts_gzip(accept_encoding: bytes | str | None) -> bool:
    """Whether an `Accept-Encoding` value accepts gzip (by name or by `*`, at a q above 0)."""
    if not accept_encoding:
        return False
    value = (
        accept_encoding.decode("latin-1") if isinstance(accept_encoding, bytes) else accept_encoding
    )
    value = value.lower()
    if "gzip" not in value and "*" not in value:
        return False
    star = False
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip()
        quality = _quality(params)
        if name in ("gzip", "x-gzip"):
            return quality > 0
        if name == "*":
            star = quality > 0
    return star


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def freshness(*, pinned: bool, private: bool, seconds_left: float) -> bytes:
    """The `Cache-Control` value of an answer."""
    scope = b"private" if private else b"public"
    if pinned:
        return scope + b", max-age=%d, immutable" % PINNED_MAX_AGE
    return scope + b", max-age=%d" % max(0, math.ceil(seconds_left))


def matches(if_none_match: bytes, answer: Answer) -> bool:
    """RFC 9110's weak comparison of `If-None-Match` with the answer's tags (either encoding:
    the same content)."""
    if if_none_match == answer.etag:  # what a client that has it sends, most often
        return True
    if if_none_match.strip() == b"*":
        return True
    gzip_etag = answer.gzip_etag
    for tag in if_none_match.split(b","):
        tag = tag.strip().removeprefix(b"W/")
        if tag == answer.etag or tag == gzip_etag:
            return True
    return False


Headers = list[tuple[bytes, bytes]]


class Delivered(NamedTuple):
    """An answer's two HTTP answers for one encoding, Cache-Control and outcome: made once."""

    #: The headers of the 200 and its body.
    headers: Headers
    body: bytes
    #: The headers of a 304 (no body).
    not_modified: Headers


#: Deliveries kept per answer, at most: a head answer's Cache-Control counts down to the next
#: block (a dozen values), times encodings and outcomes.
MAX_DELIVERED = 64


def delivered(answer: Answer, gzipped: bool, cache_control: bytes, outcome: bytes) -> Delivered:
    """The HTTP answers of `answer`, gzip-encoded when `gzipped` (and it has that encoding).
    Shared: callers copy the header lists before changing them."""
    key = (gzipped, cache_control, outcome)
    found: Delivered | None = answer.delivered.get(key)
    if found is not None:
        return found
    gzipped = gzipped and answer.gzip is not None
    tag = answer.gzip_etag if gzipped else answer.etag
    not_modified = [(b"etag", tag), (b"cache-control", cache_control), _VARY]
    not_modified.append((b"x-pylon-cache", outcome))
    body = answer.gzip if gzipped and answer.gzip is not None else answer.body
    headers = [*not_modified, _JSON, (b"content-length", b"%d" % len(body))]
    if gzipped:
        headers.append(_GZIP)
    found = Delivered(headers, body, not_modified)
    if len(answer.delivered) < MAX_DELIVERED:
        answer.delivered[key] = found
    return found


def deliver(
    answer: Answer, asked: Asked, *, outcome: bytes, cache_control: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of `answer` for `asked` (the headers the caller's own)."""
    ready = delivered(answer, asked.accepts_gzip, cache_control, outcome)
    if asked.revalidates and asked.if_none_match and matches(asked.if_none_match, answer):
        return 304, list(ready.not_modified), b""
    return 200, list(ready.headers), ready.body
