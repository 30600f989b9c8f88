"""The log's shape: text or JSON lines (`PYLON_LOG_FORMAT`), each record of a request carrying
its request id and GraphQL operation name, and the probes' access lines at DEBUG.

The request id is set by the request-id middleware (pylon_gql/http/middleware.py) in a context
variable, and the operation's name by the schema once it is known; uvicorn writes its access
line from inside the request's context (when the response starts), so that line carries them
too. The variable holds one mutable `RequestLog` per request: a name noted in a child context
(a task the request starts) is still seen by the access line.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime

from .redaction import redact, redact_handlers

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: Paths whose access lines are at DEBUG: a load balancer's health checks and Prometheus'
#: scrapes, every few seconds, would drown the requests.
PROBE_PATHS = frozenset({"/health", "/metrics"})
#: A GraphQL name; a client's `operationName` is logged only when it is one (no log injection,
#: no megabyte of junk in a line).
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,127}")


@dataclass
class RequestLog:
    request_id: str
    operation: str | None = None


_current: ContextVar[RequestLog | None] = ContextVar("pylon_request_log", default=None)


def start_request(request_id: str, operation: str | None = None) -> Token[RequestLog | None]:
    """Records logged from here on in this context belong to request `request_id` (running
    `operation`, when known already: a name `loggable_name` let through)."""
    return _current.set(RequestLog(request_id, operation))


def end_request(token: Token[RequestLog | None]) -> None:
    _current.reset(token)


def loggable_name(name: object) -> str | None:
    """`name` when it is a GraphQL name (fit for a log line), else None."""
    return name if isinstance(name, str) and _NAME.fullmatch(name) else None


def note_operation(name: object) -> None:
    """The current request runs the operation `name` (kept when it is a GraphQL name)."""
    current = _current.get()
    if current is not None and (name := loggable_name(name)) is not None:
        current.operation = name


def current_request_id() -> str | None:
    current = _current.get()
    return current.request_id if current is not None else None


class RequestFields(logging.Filter):
    """Gives every record `request_id` and `operation` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        record.request_id = current.request_id if current is not None else None
        record.operation = current.operation if current is not None else None
        return True


class ProbesAtDebug(logging.Filter):
    """On uvicorn's access logger: the access line of a health check or a metrics scrape is a
    DEBUG record, shown only when the log level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _access_path(record) not in PROBE_PATHS:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _access_path(record: logging.LogRecord) -> str | None:
    # uvicorn's access record: (client address, method, path with query, HTTP version, status).
    args = record.args
    if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
        return args[2].split("?", 1)[0]
    return None


class TextFormatter(logging.Formatter):
    """One line per record; a request's records end with its id and operation."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return line
        operation = getattr(record, "operation", None)
        tail = f" [request {request_id}" + (f", operation {operation}]" if operation else "]")
        first, newline, rest = line.partition("\n")  # after the message, before a traceback
        return first + tail + newline + rest


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message; `request_id`
    and `operation` on a request's records; `method`, `path`, `status` on access lines;
    `exception` with the traceback's text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("request_id", "operation"):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.name == "uvicorn.access" and (path := _access_path(record)) is not None:
            args = record.args
            assert isinstance(args, tuple)
            entry |= {"method": args[1], "path": redact(path), "status": args[4]}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    """The root logger's one handler at `level`, in `log_format` (`text` or `json`), every
    record with its request's fields and no secret; probes' access lines at DEBUG."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestFields())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    redact_handlers()  # no token in the log, whatever logger prints it (uvicorn's included)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ProbesAtDebug) for f in access.filters):
        access.addFilter(ProbesAtDebug())
