"""Errors by kind: the server's `extensions.code` decides the class, the message is the server's.

Catch `PylonError` for everything, or one kind: `InvalidInput` (fix the call), `NotFound`,
`PermissionDenied` (the token), `RateLimited` (wait), `Unavailable` (retried for you first).
`ERROR_CLASSES` maps every code the server sends (`pylon_gql.schema.errors.ErrorCode`; a test
holds the two equal) to its class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Self, TypeVar, overload

T = TypeVar("T")


class extension(Generic[T]):
    """An error's property read from its `extensions` (None when the server did not give it)."""

    def __init__(self, key: str, convert: Callable[[Any], T | None] = lambda value: value) -> None:
        self.key = key
        self.convert = convert

    @overload
    def __get__(self, error: None, owner: type) -> Self: ...

    @overload
    def __get__(self, error: PylonError, owner: type) -> T | None: ...

    def __get__(self, error: PylonError | None, owner: type) -> Self | T | None:
        if error is None:
            return self
        value = error.extensions.get(self.key)
        return None if value is None else self.convert(value)


class PylonError(Exception):
    """A call to pylon-gql failed; `code` is the server's error code when it gave one."""

    #: The code this class stands for (`extensions.code` of a GraphQL error).
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        path: Sequence[str | int] | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.path: tuple[str | int, ...] = tuple(path or ())
        #: Every GraphQL error of the answer (this exception is made from the first).
        self.errors: tuple[dict[str, Any], ...] = tuple(dict(e) for e in errors)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class InvalidInput(PylonError):
    """The call's arguments (or a custom document) are wrong; retrying will not help."""

    default_code = "BAD_USER_INPUT"


class BlockInFuture(InvalidInput):
    """A block number past the head; `head` is the head the server knew."""

    default_code = "BLOCK_IN_FUTURE"
    head = extension[int]("head")


class QueryTooComplex(InvalidInput):
    """The query selects more fields, or would cost more, than the server takes from this
    caller: `cost` and `budget` say by how much (select less, page with `first`, or send a
    token)."""

    default_code = "QUERY_TOO_COMPLEX"
    cost = extension[int]("cost")
    budget = extension[int]("budget")


class NotFound(PylonError):
    default_code = "NOT_FOUND"


class BlockPruned(NotFound):
    """The node no longer keeps the state of that block (the server needs an archive node)."""

    default_code = "BLOCK_PRUNED"


class NoEpochs(NotFound):
    """The subnet's tempo is 0 at that block: the chain runs no epochs of it, so there is no
    epoch, commit window or weights' epoch."""

    default_code = "NO_EPOCHS"


class PermissionDenied(PylonError):
    """The token is missing, unknown to the server, or not of the role the call needs (the
    message says which); retrying will not help."""

    default_code = "FORBIDDEN"


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class RateLimited(PylonError):
    """Too many requests from this token (or address), or one subscription more than a
    connection may run; `retry_after` (seconds) when the server says."""

    default_code = "RATE_LIMITED"
    retry_after = extension[float]("retryAfter", _seconds)


class Unavailable(PylonError):
    """The server, or the chain behind it, cannot answer now (a connection error, an HTTP 503,
    or `UNAVAILABLE`). Calls retry these with backoff before raising."""

    default_code = "UNAVAILABLE"


class PylonTimeout(Unavailable):
    """A call (all of its attempts) took longer than the client's `timeout`, or the server
    gave up on the request (`TIMEOUT`: longer than its PYLON_REQUEST_TIMEOUT)."""

    default_code = "TIMEOUT"


class ServerError(PylonError):
    """A bug on the server; `request_id` finds the traceback in its log."""

    default_code = "INTERNAL_SERVER_ERROR"
    request_id = extension[str]("requestId")


class SyncClientInEventLoop(PylonError, RuntimeError):
    """`PylonClient` (the blocking client) was called from a running event loop: use
    `AsyncPylonClient` there, or call the blocking client from a thread."""


class NotConfigured(PylonError):
    """The server lacks what the call needs (a hotkey, the owner's coldkey); the message names
    the setting. Retrying will not help."""

    default_code = "NOT_CONFIGURED"


class ValidationFailed(InvalidInput):
    """A write was refused and nothing changed; `entries` names each invalid entry
    (`{"index": ..., "hotkey": ..., "reason": ...}`)."""

    default_code = "VALIDATION_ERROR"

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self.extensions.get("entries") or [])


class ChainRejected(PylonError):
    """The chain refused or failed the extrinsic; `reason` is the module error."""

    default_code = "CHAIN_REJECTED"
    reason = extension[str]("reason")


class CommitRefused(PylonError):
    """No commit was started; `reason` is `no_weights`, `in_flight`, `no_head`,
    `rate_limited`, `not_registered`, or `not_leader`: another replica of the server commits
    the weights (`leader_replica` names it when known: send the call there, or retry, since a
    replica takes the lead within seconds of the leader stopping)."""

    default_code = "COMMIT_REFUSED"
    reason = extension[str]("reason")
    leader_replica = extension[str]("leaderReplica")


#: Every code the server sends -> its exception class.
ERROR_CLASSES: dict[str, type[PylonError]] = {
    "BAD_USER_INPUT": InvalidInput,
    "BAD_REQUEST": InvalidInput,
    "REQUEST_TOO_LARGE": InvalidInput,
    "GRAPHQL_VALIDATION_FAILED": InvalidInput,
    "GRAPHQL_PARSE_FAILED": InvalidInput,
    "QUERY_TOO_COMPLEX": QueryTooComplex,
    "BLOCK_IN_FUTURE": BlockInFuture,
    "NOT_FOUND": NotFound,
    "BLOCK_PRUNED": BlockPruned,
    "NO_EPOCHS": NoEpochs,
    "FORBIDDEN": PermissionDenied,
    "NOT_CONFIGURED": NotConfigured,
    "RATE_LIMITED": RateLimited,
    "TOO_MANY_SUBSCRIPTIONS": RateLimited,
    "UNAVAILABLE": Unavailable,
    "TIMEOUT": PylonTimeout,
    "INTERNAL_SERVER_ERROR": ServerError,
}


def error_from_graphql(errors: Sequence[Mapping[str, Any]]) -> PylonError:
    """The exception for a GraphQL answer's `errors` (its first error decides the class)."""
    if not errors:
        return PylonError("the server answered an error without detail")
    first = errors[0]
    extensions = first.get("extensions") or {}
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    cls = ERROR_CLASSES.get(code, PylonError) if isinstance(code, str) else PylonError
    return cls(
        str(first.get("message", "")),
        code=code if isinstance(code, str) else None,
        extensions=extensions if isinstance(extensions, Mapping) else None,
        path=first.get("path"),
        errors=errors,
    )


#: Kinds a call retries (with backoff) before raising.
RETRYABLE: tuple[type[PylonError], ...] = (Unavailable,)


#: `__typename` of a union's failure member -> exception class.
RESULT_ERRORS: dict[str, type[PylonError]] = {
    "ValidationError": ValidationFailed,
    "ChainRejected": ChainRejected,
    "CommitRefused": CommitRefused,
}


def error_from_result(result: Mapping[str, Any]) -> PylonError:
    """The exception for a mutation's failure result (a union member with a `message`)."""
    typename = str(result.get("__typename", ""))
    cls = RESULT_ERRORS.get(typename, PylonError)
    extensions = {
        key: value for key, value in result.items() if key not in ("__typename", "message")
    }
    return cls(str(result.get("message", typename)), extensions=extensions)
