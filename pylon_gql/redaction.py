"""No secret reaches the log: a filter on the log handlers that redacts every record.

Tokens are accepted only in headers and in the websocket `connection_init` payload, yet they
can still reach a log line: uvicorn's access log and its websocket line print the URL with its
query string (where a careless client may put a token), and at DEBUG the websockets library
prints every frame, `connection_init` included. Rather than trust each logger, the handler's
filter rewrites each record's final text: query strings of logged URLs, bearer credentials,
`token`/`authorization` values, and websocket frame payloads are replaced. The cost is one
formatting of the message per record, which the handler pays anyway.

Node URLs carry secrets too: hosted node providers put the key in the user info
(`wss://user:KEY@host`) or as a path segment (`wss://host/v1/KEY`). `redact_url` is how every
part of the server shows a node URL (the chain client's errors, /health); the filter applies it
to any URL left in a log line, and to the request line the websockets library logs at DEBUG.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

REDACTED = "[redacted]"
#: What stands for a secret part of a URL (its user info, a key-like path segment, its query).
URL_SECRET = "***"
#: A record with this attribute true is shown as is (`log.warning(..., extra={REVEAL: True})`):
#: only for what is meant to be seen, like the dev tokens of a simulated chain.
REVEAL = "reveal_secret"

_SEGMENT_CHARS = re.compile(r"[A-Za-z0-9_-]{16,}")
_WORDS = re.compile(r"[a-z]+(?:-[a-z]+)*")
_HEX = re.compile(r"(?=[^0-9]*[0-9])[0-9a-fA-F-]{8,}")
#: A URL with a scheme, up to the first character no URL in a log line goes past.
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
#: Schemes whose paths may hold a key (a node provider's, an RPC gateway's).
_NETWORK_SCHEMES = ("ws", "wss", "http", "https")
#: A request line as the websockets library logs it at DEBUG: "> GET /v1/KEY HTTP/1.1".
_REQUEST_LINE = re.compile(r"\b((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) )(/[^\s?\"']*)")


def _key_like(segment: str) -> bool:
    """A path segment that looks like a key: 8 or more hex digits (dashes allowed, a UUID) with
    a digit among them, or 16 or more of [A-Za-z0-9_-] unless they are words (lower case
    letters, dashes between them; without a dash, shorter than 24)."""
    if _HEX.fullmatch(segment):
        return True
    if not _SEGMENT_CHARS.fullmatch(segment):
        return False
    return not (_WORDS.fullmatch(segment) and ("-" in segment or len(segment) < 24))


def _redact_path(path: str) -> str:
    parts = []
    for part in path.split("/"):
        # A URL at the end of a sentence or in brackets: the punctuation after it is not its.
        core = part.rstrip(".,;:!)]}")
        parts.append(URL_SECRET + part[len(core) :] if _key_like(core) else part)
    return "/".join(parts)


def redact_url(url: str) -> str:
    """A URL fit to show: its user info, key-like path segments (of ws, wss, http and https
    URLs) and query string replaced by `***`
    (`ws://user:KEY@host:9944/v1/KEY?apikey=K` -> `ws://***@host:9944/v1/***?***`).
    Anything without `scheme://` (a network's name) is returned as it is."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest = rest.partition("#")[0]
    rest, question, _ = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = f"{URL_SECRET}@{authority.rpartition('@')[2]}"
    if scheme.lower() in _NETWORK_SCHEMES:  # not a file's path (`sqlite:///...`)
        path = _redact_path(path)
    shown = f"{scheme}://{authority}{slash}{path}"
    if question:
        shown += f"?{URL_SECRET}"
    return shown


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # Any URL: user info, key-like path segments and query strings (a node provider's key).
    (_URL, lambda match: redact_url(match.group(0))),
    (_REQUEST_LINE, lambda match: match.group(1) + _redact_path(match.group(2))),
    # A websocket frame as the websockets library logs it at DEBUG: "< TEXT '...' [40 bytes]".
    # The payload may be cut in the middle, so a token's tail could show without its key.
    (re.compile(r"^([<>] (?:TEXT|BINARY|CONT)) .*$", re.DOTALL), rf"\1 {REDACTED}"),
    # The query string of a request line or URL path: "GET /graphql?token=... HTTP/1.1".
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), rf"\1?{REDACTED}"),
    # "Bearer <token>" wherever it appears (a header, a payload, an exception's text).
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;}\]]+"), rf"\1 {REDACTED}"),
    # "authorization": "...", authorization=..., 'token': '...', token: ...; also
    # "Authorization: Basic <user:password in base64>", which websockets sends (and logs at
    # DEBUG) for a URL with user info.
    (
        re.compile(
            r"(?i)(\b(?:authorization|token|access_token|api_key)[\"']?\s*[:=]\s*[\"']?"
            r"(?:basic\s+)?)(?!bearer\b)[^\s\"',;}\]]+"
        ),
        rf"\1{REDACTED}",
    ),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites each record's message (and formatted exception) with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, REVEAL, False):
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatted here, once, so that the traceback's text is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_handlers(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root logger by default): a handler
    filter sees the records of every logger that propagates to it, uvicorn's included."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
