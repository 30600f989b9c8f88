"""No secret reaches the log: a filter on the log handlers that redacts every record.

Tokens are accepted only in headers and in the websocket `connection_init` payload, yet they
can still reach a log line: uvicorn's access log and its websocket line print the URL with its
query string (where a careless client may put a token), and at DEBUG the websockets library
prints every frame, `connection_init` included. Rather than trust each logger, the handler's
filter rewrites each record's final text: query strings of logged URLs, bearer credentials,
`token`/`authorization` values, and websocket frame payloads are replaced. The cost is one
formatting of the message per record, which the handler pays anyway.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
#: A record with this attribute true is shown as is (`log.warning(..., extra={REVEAL: True})`):
#: only for what is meant to be seen, like the dev tokens of a simulated chain.
REVEAL = "reveal_secret"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A websocket frame as the websockets library logs it at DEBUG: "< TEXT '...' [40 bytes]".
    # The payload may be cut in the middle, so a token's tail could show without its key.
    (re.compile(r"^([<>] (?:TEXT|BINARY|CONT)) .*$", re.DOTALL), rf"\1 {REDACTED}"),
    # The query string of a request line or URL path: "GET /graphql?token=... HTTP/1.1".
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), rf"\1?{REDACTED}"),
    # "Bearer <token>" wherever it appears (a header, a payload, an exception's text).
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;}\]]+"), rf"\1 {REDACTED}"),
    # "authorization": "...", authorization=..., 'token': '...', token: ...
    (
        re.compile(
            r"(?i)(\b(?:authorization|token|access_token|api_key)[\"']?\s*[:=]\s*[\"']?)"
            r"(?!bearer\b)[^\s\"',;}\]]+"
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
