"""The fake's refusals, worded and coded as the client sees the server's.

A GraphQL error becomes the exception of its `extensions.code` (with the code in `extensions`,
as the client builds it from the answer); a mutation's failure result becomes
`ValidationFailed` or `CommitRefused` with the result's fields as `extensions`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BlockInFuture, CommitRefused, InvalidInput, NotFound, ValidationFailed
from ..rules import address_problem, float_problem, int_problem

#: (index, hotkey, reason) of one refused entry of a write.
Entry = tuple[int | None, str | None, str]


def bad_input(message: str) -> InvalidInput:
    return InvalidInput(message, extensions={"code": "BAD_USER_INPUT"})


def variable_refused(variable: str, problem: str, at: str = "") -> InvalidInput:
    """A variable GraphQL refuses before any of the server's code runs (`at`: where in it,
    `[0].weight` or `.minStake`)."""
    where = f" at {at}" if at else ""
    return InvalidInput(
        f"Variable '${variable}' has invalid value{where}: {problem}",
        code="BAD_USER_INPUT",
        extensions={"code": "BAD_USER_INPUT"},
    )


def check_ints(**variables: object) -> None:
    """Each `Int` variable given (None: left out) is a 32-bit integer."""
    for name, value in variables.items():
        problem = None if value is None else int_problem(value)
        if problem is not None:
            raise variable_refused(name, problem)


def check_float(variable: str, value: object, at: str = "") -> None:
    problem = float_problem(value)
    if problem is not None:
        raise variable_refused(variable, problem, at)


def check_account(address: str, what: str) -> None:
    """An account argument of a query (`neuron(hotkey:)`, a filter's `coldkeys`)."""
    problem = address_problem(address)
    if problem is not None:
        raise bad_input(f"{what} {address!r}: {problem}")


def block_in_future(message: str, head: int) -> BlockInFuture:
    return BlockInFuture(message, extensions={"code": "BLOCK_IN_FUTURE", "head": head})


def not_found(message: str) -> NotFound:
    return NotFound(message, extensions={"code": "NOT_FOUND"})


def validation_failed(message: str, entries: Iterable[Entry] = ()) -> ValidationFailed:
    """A write's `ValidationError` result: nothing was changed."""
    return ValidationFailed(
        message,
        extensions={
            "entries": [
                {"index": index, "hotkey": hotkey, "reason": reason}
                for index, hotkey, reason in entries
            ]
        },
    )


def commit_refused(message: str, reason: str) -> CommitRefused:
    return CommitRefused(message, extensions={"reason": reason})
