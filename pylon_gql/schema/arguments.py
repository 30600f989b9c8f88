"""Arguments refused before anything is read: lists too long, keys that are not addresses."""

from __future__ import annotations

from typing import Any

from ..validation import address_problem
from .errors import BadUserInput


def check_list(items: list[Any] | None, what: str, most: int) -> None:
    """Refuse a list argument longer than `most` before looking at its items."""
    if items is not None and len(items) > most:
        raise BadUserInput(f"`{what}` takes at most {most} items; got {len(items)}")


def check_keys(keys: list[str] | None, what: str, most: int) -> None:
    """Refuse a list of account keys that is too long, or holds a non-address."""
    check_list(keys, f"{what}s", most)
    for key in keys or ():
        check_ss58(key, what)


def check_ss58(address: str, what: str) -> None:
    """Refuse an account key that is not an address of this chain."""
    problem = address_problem(address)
    if problem is not None:
        raise BadUserInput(f"{what} {address!r}: {problem}")
