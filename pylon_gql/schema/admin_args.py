"""`setHyperparameter`'s value, read as the subnet admin call's arguments and read back.

The arguments' kinds come from the runtime metadata (`models.AdminCall`): a value of the wrong
kind is refused here, before anything is signed, with what it must be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .. import models
from ..validation import address_problem


def _coerce(arg: models.AdminCallArg, value: Any) -> tuple[Any, str | None]:
    kind = arg.kind
    if kind == "bool":
        if not isinstance(value, bool):
            return None, f"`{arg.name}` must be a boolean, got {value!r}"
        return value, None
    if kind[0] in "ui" and kind[1:].isdigit():
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"`{arg.name}` must be an integer ({kind}), got {value!r}"
        bits = int(kind[1:])
        low, high = (
            (0, 2**bits - 1) if kind[0] == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        if not low <= value <= high:
            return None, f"`{arg.name}` must be in [{low}, {high}] ({kind}), got {value}"
        return value, None
    if kind == "account":
        if not isinstance(value, str) or address_problem(value):
            return None, f"`{arg.name}` must be an SS58 address, got {value!r}"
        return value, None
    if kind == "enum":
        if value not in arg.variants:
            return None, f"`{arg.name}` must be one of {', '.join(arg.variants)}, got {value!r}"
        return value, None
    return None, f"`{arg.name}` has a type the API cannot set"


def call_args(call: models.AdminCall, value: Any) -> tuple[dict[str, Any], str | None]:
    """`setHyperparameter`'s `value` as the admin call's arguments (one value for a call of one
    argument, an object naming each otherwise), each checked against its runtime type; or the
    problem, said as the user should fix it."""
    wanted = call.subnet_args
    unsupported = [arg.name for arg in wanted if arg.kind == "unsupported"]
    if unsupported:
        return {}, (
            f"takes {', '.join(f'`{name}`' for name in unsupported)} of a type the API cannot "
            "set (an option, a list or a struct): send this call with another client"
        )
    if len(wanted) == 1 and not isinstance(value, dict):
        values = {wanted[0].name: value}
    elif isinstance(value, dict):
        values = value
    else:
        names = ", ".join(arg.name for arg in wanted)
        return {}, f"takes {len(wanted)} arguments: give an object with {names}"
    missing = [arg.name for arg in wanted if arg.name not in values]
    extra = [key for key in values if key not in {arg.name for arg in wanted}]
    if missing or extra:
        return {}, f"arguments are {', '.join(a.name for a in wanted)} (missing: {missing}, " + (
            f"unknown: {extra})"
        )
    args: dict[str, Any] = {}
    for arg in wanted:
        coerced, problem = _coerce(arg, values[arg.name])
        if problem is not None:
            return {}, problem
        args[arg.name] = coerced
    return args, None


#: Reads a subnet's `SubtensorModule` storage item at the receipt's block: its type name and
#: its value as JSON, None when the runtime has no such item.
StorageRead = Callable[[str], Awaitable[tuple[str, Any] | None]]


async def read_back(
    call: models.AdminCall, hyperparameters: models.Hyperparameters, storage: StorageRead
) -> Any:
    """The value(s) the call set: from the hyperparameters, or from the storage item the
    runtime keeps it in when the hyperparameter answer leaves it out (None: neither shows it)."""
    item = models.STORAGE_HYPERPARAMETERS.get(call.name)
    if item is not None:
        found = await storage(item)
        return None if found is None else found[1]
    if len(call.subnet_args) == 1:
        return _shown(hyperparameters, models.hyperparameter_set_by(call.name))
    values = {arg.name: _shown(hyperparameters, arg.name) for arg in call.subnet_args}
    return None if any(value is None for value in values.values()) else values


def _shown(hyperparameters: models.Hyperparameters, name: str) -> Any:
    """A hyperparameter as JSON: the runtime's field of that name, else the model's (a field
    derived from others, as `yuma3_enabled`)."""
    found = hyperparameters.runtime_field(name)
    return getattr(hyperparameters, name, None) if found is None else found.value
