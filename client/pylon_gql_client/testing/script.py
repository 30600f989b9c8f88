"""What a test scripts on the fake: an answer or a failure per method, and the calls it saw."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One call the fake answered (or failed): the method and its arguments by name."""

    method: str
    arguments: dict[str, Any] = field(default_factory=dict)


class Script:
    """The calls so far, and the answers and failures a test gave, by method name."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.answers: dict[str, Any] = {}
        self.failures: dict[str, BaseException] = {}

    def answer(self, method: str, value: Any) -> None:
        self.failures.pop(method, None)
        self.answers[method] = value

    def fail(self, method: str, error: BaseException) -> None:
        self.answers.pop(method, None)
        self.failures[method] = error

    def reset(self, method: str | None = None) -> None:
        for table in (self.answers, self.failures):
            if method is None:
                table.clear()
            else:
                table.pop(method, None)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.arguments for call in self.calls if call.method == method]

    def record(self, method: str, arguments: dict[str, Any]) -> None:
        """Note the call; raise what `fail` gave for the method."""
        self.calls.append(Call(method, dict(arguments)))
        if method in self.failures:
            raise self.failures[method]

    async def answered(self, method: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        """Note the call; (True, the scripted answer) when a test gave one."""
        self.record(method, arguments)
        if method not in self.answers:
            return False, None
        value = self.answers[method]
        if callable(value):
            value = value(**_taken(value, arguments))
            if inspect.isawaitable(value):
                value = await value
        return True, value


def _taken(function: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments an answer function is called with: every one, but those it does not take
    that were left out (None), so a function written before a method gained an argument
    (`netuid`) still answers while the call does not use it."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return arguments
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return arguments
    names = {p.name for p in parameters}
    return {k: v for k, v in arguments.items() if k in names or v is not None}


class Scripted(Protocol):
    script: Script


S = TypeVar("S", bound=Scripted)


def scripted_as(
    name: str,
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[T]]], Callable[Concatenate[S, P], Coroutine[Any, Any, T]]
]:
    """Record each call of the method under `name` with every argument by name (defaults too),
    and answer what the test scripted for `name` instead of running it when there is
    something."""

    def wrap(
        method: Callable[Concatenate[S, P], Awaitable[T]],
    ) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        async def run(self: S, *args: P.args, **kwargs: P.kwargs) -> T:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            del arguments["self"]
            for parameter in signature.parameters.values():  # `**query`: its arguments
                if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                    arguments.update(arguments.pop(parameter.name, {}))
            answered, value = await self.script.answered(name, arguments)
            if answered:
                return value
            return await method(self, *args, **kwargs)

        return run

    return wrap


def scripted(
    method: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """`scripted_as` the method's own name."""
    return scripted_as(method.__name__)(method)
