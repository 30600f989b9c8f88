"""Errors a client sees: expected failures carry a `code`, everything else is masked.

Expected failures (bad input, a block past the head, a node that does not answer) become GraphQL
errors with `extensions.code` and a message that says what to do. Anything else is a bug: the
client gets "Internal server error, request id ..." and the log gets the traceback under the
same id.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from ..chain.errors import (
    BlockNotFound,
    BlockPruned,
    ChainError,
    ChainUnavailable,
    FutureBlock,
    NoEpochs,
    SubnetNotFound,
)

log = logging.getLogger("pylon_gql.graphql")


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    BLOCK_IN_FUTURE = "BLOCK_IN_FUTURE"
    BLOCK_PRUNED = "BLOCK_PRUNED"
    #: The subnet's tempo is 0: it has no epochs (nor commit window) at that block.
    NO_EPOCHS = "NO_EPOCHS"
    UNAVAILABLE = "UNAVAILABLE"
    #: The caller's token does not grant the role the operation needs (or there is none).
    FORBIDDEN = "FORBIDDEN"
    #: The server lacks what the operation needs (a hotkey, the owner's coldkey): the message
    #: names the setting.
    NOT_CONFIGURED = "NOT_CONFIGURED"
    #: The caller's token (or address, without one) is over its rate limit (HTTP 429).
    RATE_LIMITED = "RATE_LIMITED"
    #: A websocket connection already runs PYLON_WS_MAX_SUBSCRIPTIONS operations.
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    #: The HTTP request itself is malformed (not a JSON object, bad UTF-8, nested too deep).
    BAD_REQUEST = "BAD_REQUEST"
    #: The request body or document is larger than the server takes.
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    #: The query selects more, or would cost more, than the caller's budget.
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    #: The request ran longer than PYLON_REQUEST_TIMEOUT.
    TIMEOUT = "TIMEOUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ApiError(Exception):
    """An expected failure, shown to the client as is, with its code in `extensions`."""

    def __init__(self, message: str, code: ErrorCode, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.extensions: dict[str, Any] = {"code": code.value, **details}


class BadUserInput(ApiError):
    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, ErrorCode.BAD_USER_INPUT, **details)


def from_chain_error(error: ChainError) -> ApiError:
    """The client's view of a chain failure."""
    if isinstance(error, FutureBlock):
        return ApiError(
            f"{error}; ask for a block at or below the head, or leave `block` out for the head",
            ErrorCode.BLOCK_IN_FUTURE,
            head=error.head,
        )
    if isinstance(error, BlockPruned):
        return ApiError(
            f"{error or 'the node no longer keeps this block'}; ask for a recent block, "
            "or run the server with PYLON_ARCHIVE_NETWORK set to an archive node",
            ErrorCode.BLOCK_PRUNED,
        )
    if isinstance(error, NoEpochs):
        return ApiError(str(error), ErrorCode.NO_EPOCHS)
    if isinstance(error, SubnetNotFound):
        return ApiError(str(error) or "the subnet does not exist", ErrorCode.NOT_FOUND)
    if isinstance(error, BlockNotFound):
        return ApiError(
            f"{error or 'no such block'}; ask for a block the node keeps, or run the server "
            "with PYLON_ARCHIVE_NETWORK set to an archive node",
            ErrorCode.NOT_FOUND,
        )
    if isinstance(error, ChainUnavailable):
        return ApiError(
            f"the chain node is not answering ({error or 'no detail'}); retry in a few seconds",
            ErrorCode.UNAVAILABLE,
        )
    return ApiError(str(error) or type(error).__name__, ErrorCode.UNAVAILABLE)


def _expected(error: GraphQLError) -> ApiError | None:
    original = error.original_error
    if isinstance(original, ApiError):
        return original
    if isinstance(original, ChainError):
        return from_chain_error(original)
    return None


#: graphql-core's words for a variable whose value does not fit its type (coercion, before
#: execution), as opposed to the document's own variable errors (validation).
_VARIABLE_REFUSED = re.compile(
    r"Variable '\$\w+' (has invalid value|got invalid value|of required type .* was not "
    r"provided|of non-null type .* must not be null)|Variable values are nested too deeply",
    re.DOTALL,
)
#: Longest piece of input an error message shows whole (a block hash, 66 characters, and an
#: address, 48, show whole); a longer one is cut to its first SHOWN characters and its length.
MAX_ECHOED = 128
SHOWN = MAX_ECHOED - 16
#: Longest message, once every echoed piece is cut (the server's own words are far shorter):
#: what no pattern below recognises as an echo is bounded here.
MAX_MESSAGE = 2048
#: Characters of a message looked at: beyond them, only input (1 MB of an operation name) that
#: would cost the event loop time to look through.
_SCANNED = 16_384
#: Echoed values: quoted (graphql-core's `inspect` and printed literals, `!r` in the server's
#: own messages), where spaces do not end them, and runs of non-blank characters. The quoted
#: patterns stop at their own quote (possessive, `*+`), so a scan never backtracks: linear in
#: the message. A single quote opens only after a non-word character, so an apostrophe ("the
#: payload's") opens nothing.
_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_SINGLE_QUOTED = re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*+'", re.DOTALL)
#: A quote still open where the scanned part of a message ends.
_DOUBLE_OPEN = re.compile(r'"(?:[^"\\]|\\.)*+\Z', re.DOTALL)
_SINGLE_OPEN = re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*+\Z", re.DOTALL)
_LONG_RUN = re.compile(rf"\S{{{MAX_ECHOED + 1},}}")


def _cut_quoted(match: re.Match[str]) -> str:
    quoted = match.group()
    inner = quoted[1:-1]
    if len(inner) <= MAX_ECHOED:
        return quoted
    quote = quoted[0]
    return f"{quote}{inner[:SHOWN]}...{quote}({len(inner)} characters)"


def _cut_open(match: re.Match[str]) -> str:
    """A quoted echo whose end is past the scanned part (the message's length is told)."""
    quoted = match.group()
    return quoted if len(quoted) <= MAX_ECHOED else f"{quoted[: SHOWN + 1]}..."


def _cut_run(match: re.Match[str]) -> str:
    run = match.group()
    return f"{run[:SHOWN]}...({len(run)} characters)"


def bounded(message: str) -> str:
    """`message` with every long piece of input it echoes (a hash, an address, a name, a value,
    quoted or not, spaces or not) cut to its start and its length: an answer never carries a
    stranger's megabytes back."""
    if len(message) <= MAX_ECHOED:
        return message
    total = len(message)
    text = _SINGLE_QUOTED.sub(_cut_quoted, _DOUBLE_QUOTED.sub(_cut_quoted, message[:_SCANNED]))
    if total > _SCANNED:
        # The scanned part may end inside a quoted echo: cut that one too.
        text = _SINGLE_OPEN.sub(_cut_open, _DOUBLE_OPEN.sub(_cut_open, text))
    text = _LONG_RUN.sub(_cut_run, text)
    if total > _SCANNED or len(text) > MAX_MESSAGE:
        text = f"{text[: MAX_MESSAGE - 40].removesuffix('...')}...(cut from {total} characters)"
    return text


def operation_not_found(error: CannotGetOperationTypeError) -> str:
    """What to say when the document has no operation to run by the name given (or none)."""
    if error.operation_name is None:
        return "the document has no operation: send a query, a mutation or a subscription"
    return bounded(
        f"the document has no operation named {error.operation_name!r}: name one of its "
        "operations in `operationName`, or leave it out when there is only one"
    )


#: What to say when a transport cannot carry an operation: graphql-ws runs only subscriptions,
#: a GET only queries.
_NOT_CARRIED = {
    OperationType.QUERY: "queries do not run here: over graphql-ws only subscriptions run; send "
    "queries with POST /graphql or over graphql-transport-ws",
    OperationType.MUTATION: "mutations do not run here: over GET or graphql-ws they are not "
    "allowed; send them with POST /graphql or over graphql-transport-ws",
    OperationType.SUBSCRIPTION: "subscriptions run over a websocket at /graphql "
    "(graphql-transport-ws or graphql-ws)",
}


def classify(errors: list[GraphQLError], request_id: str) -> None:
    """Give every error a code, in place; mask and log the unexpected ones.

    Runs before the result is sent, on the same error objects the client will see.
    """
    for error in errors:
        _classify(error, request_id)
        # Last, so that no message (graphql-core's, strawberry's, the server's) escapes it.
        error.message = bounded(error.message)


def _classify(error: GraphQLError, request_id: str) -> None:
    if error.extensions and "code" in error.extensions:
        return
    if isinstance(error, GraphQLSyntaxError):
        error.extensions = {"code": ErrorCode.GRAPHQL_PARSE_FAILED.value}
        return
    original = error.original_error
    if _VARIABLE_REFUSED.match(error.message):
        # A variable's value that does not coerce to its type is the caller's input.
        error.extensions = {"code": ErrorCode.BAD_USER_INPUT.value}
        return
    if original is None or isinstance(original, GraphQLError):
        # Raised by graphql-core itself: validation (depth, aliases, unknown fields,
        # introspection off) or an argument that does not coerce.
        error.extensions = {"code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value}
        return
    if error.path is None and isinstance(original, ValueError | TypeError):
        # A variable a scalar refused, before any resolver ran.
        error.extensions = {"code": ErrorCode.BAD_USER_INPUT.value}
        return
    if isinstance(original, CannotGetOperationTypeError):
        # An `operationName` the document lacks (over websockets; over HTTP it is a 400).
        error.message = operation_not_found(original)
        error.extensions = {"code": ErrorCode.BAD_REQUEST.value}
        return
    if isinstance(original, InvalidOperationTypeError):
        # Strawberry's transports that cannot carry this kind of operation.
        error.message = _NOT_CARRIED[original.operation_type]
        error.extensions = {"code": ErrorCode.BAD_REQUEST.value}
        return
    expected = _expected(error)
    if expected is not None:
        error.message = str(expected)
        error.extensions = dict(expected.extensions)
        log.info("request %s: %s: %s", request_id, expected.code, bounded(str(expected)))
        return
    log.error(
        "request %s: unexpected error at %s",
        request_id,
        ".".join(str(p) for p in error.path or ()) or "(operation)",
        exc_info=(type(original), original, original.__traceback__),
    )
    error.message = f"Internal server error, request id {request_id}"
    error.extensions = {
        "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
        "requestId": request_id,
    }
    error.original_error = None
