"""Errors by kind: the server's `extensions.code` decides the class, the message is the server's.

Catch `PylonError` for everything, or one kind: `InvalidInput` (fix the call), `NotFound`,
`PermissionDenied` (the token), `RateLimited` (wait), `Unavailable` (retried for you first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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

    @property
    def head(self) -> int | None:
        return self.extensions.get("head")


class NotFound(PylonError):
    default_code = "NOT_FOUND"


class BlockPruned(NotFound):
    """The node no longer keeps the state of that block (the server needs an archive node)."""

    default_code = "BLOCK_PRUNED"


class PermissionDenied(PylonError):
    """The token is missing or does not allow this call; retrying will not help."""

    default_code = "PERMISSION_DENIED"


class RateLimited(PylonError):
    """Too many calls, or weights set too soon; `retry_after` (seconds) when the server says."""

    default_code = "RATE_LIMITED"

    @property
    def retry_after(self) -> float | None:
        value = self.extensions.get("retryAfter")
        return float(value) if isinstance(value, int | float) else None


class Unavailable(PylonError):
    """The server, or the chain behind it, cannot answer now (a connection error, an HTTP 503,
    or `UNAVAILABLE`). Calls retry these with backoff before raising."""

    default_code = "UNAVAILABLE"


class PylonTimeout(Unavailable):
    """A call (all of its attempts) took longer than the client's `timeout`."""

    default_code = "TIMEOUT"


class ServerError(PylonError):
    """A bug on the server; `request_id` finds the traceback in its log."""

    default_code = "INTERNAL_SERVER_ERROR"

    @property
    def request_id(self) -> str | None:
        return self.extensions.get("requestId")


class SyncClientInEventLoop(PylonError, RuntimeError):
    """`PylonClient` (the blocking client) was called from a running event loop: use
    `AsyncPylonClient` there, or call the blocking client from a thread."""


#: Server error code -> exception class.
ERROR_CLASSES: dict[str, type[PylonError]] = {
    "BAD_USER_INPUT": InvalidInput,
    "GRAPHQL_VALIDATION_FAILED": InvalidInput,
    "GRAPHQL_PARSE_FAILED": InvalidInput,
    "BLOCK_IN_FUTURE": BlockInFuture,
    "NOT_FOUND": NotFound,
    "BLOCK_PRUNED": BlockPruned,
    "PERMISSION_DENIED": PermissionDenied,
    "FORBIDDEN": PermissionDenied,
    "UNAUTHENTICATED": PermissionDenied,
    "RATE_LIMITED": RateLimited,
    "UNAVAILABLE": Unavailable,
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
        return list(self.extensions.get("entries", []))


class ChainRejected(PylonError):
    """The chain refused or failed the extrinsic; `reason` is the module error."""

    default_code = "CHAIN_REJECTED"

    @property
    def reason(self) -> str | None:
        return self.extensions.get("reason")


class CommitRefused(PylonError):
    """No commit was started; `reason` is `no_weights`, `in_flight`, `no_head`,
    `rate_limited` or `not_registered`."""

    default_code = "COMMIT_REFUSED"

    @property
    def reason(self) -> str | None:
        return self.extensions.get("reason")


ERROR_CLASSES.update(
    {
        "NOT_CONFIGURED": NotConfigured,
        "TOO_MANY_SUBSCRIPTIONS": RateLimited,
    }
)

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
