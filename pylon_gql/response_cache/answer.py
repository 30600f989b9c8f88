"""A kept answer: its bytes, their entity tag, and their gzip encoding, made once.

Every request that finds an answer is served these bytes as they are: nothing is encoded,
hashed or compressed again per request. The gzip encoding is made when the answer is kept, in a
worker thread (zlib lets go of the GIL while it compresses, so the loop goes on serving); an
answer too small to gain from it has none.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import Any

import xxhash

#: Answers shorter than this are never compressed: the gzip header and a round of deflate
#: cost more than the bytes they save (one TCP segment carries them anyway).
GZIP_MIN_BYTES = 1400
#: zlib's level: 6 (its default) gives most of level 9's ratio on JSON at a third of its time.
GZIP_LEVEL = 6
#: Answers at least this large are compressed in a worker thread, not on the loop.
THREAD_MIN_BYTES = 64 * 2**10


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer's bytes as kept, and what serving them needs."""

    body: bytes
    #: The strong entity tag of `body` (quoted, as it goes in `ETag`).
    etag: bytes
    #: `body` gzip-encoded, or None when it is too small to be worth it.
    gzip: bytes | None
    #: Its HTTP answers as `delivery.py` makes them, each made once.
    delivered: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def gzip_etag(self) -> bytes:
        """The tag of the gzip encoding: another representation, so another strong tag."""
        return self.etag[:-1] + b'-gz"'

    @property
    def size(self) -> int:
        """Bytes held for this answer."""
        return len(self.body) + len(self.gzip or b"")


def _gzip(body: bytes) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def answer_of(body: bytes) -> Answer:
    """The answer for `body`, compressed here (for small bodies, or off the loop)."""
    gzipped = _gzip(body) if len(body) >= GZIP_MIN_BYTES else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None  # incompressible: serve it as it is
    return Answer(body, b'"' + xxhash.xxh3_128_hexdigest(body).encode() + b'"', gzipped)


async def encode(body: bytes) -> Answer:
    """The answer for `body`; a large body is compressed in a worker thread."""
    if len(body) >= THREAD_MIN_BYTES:
        return await asyncio.to_thread(answer_of, body)
    return answer_of(body)
