"""Cursor paging of a list answered at one block: `first`/`after`, `pageInfo`, `totalCount`.

A list at a finalized block never changes, so a cursor is its item's position in the filtered,
ordered list, bound to that block and to the filter and order that made the list: the next page
asked at the same block continues it exactly, whatever the chain did meanwhile. A cursor given
with another block, filter or order is BAD_USER_INPUT, saying what to ask instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from .context import Info
from .errors import BadUserInput

_PREFIX = "p1"


@strawberry.type(description="Where a page ends, and whether more follow it.")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item (null for an empty page): pass it as "
        "`after`, with the same block, filter and order, for the next page."
    )
    has_next_page: bool = strawberry.field(
        description="Whether items follow this page in the list at this block."
    )


def names_under(info: Info, list_field: str) -> set[str]:
    """The names of the fields selected on the items of the page's `list_field` (through
    fragments), for the page field being resolved."""
    found: set[str] = set()

    def walk(selections: Sequence[Selection], inside: bool) -> None:
        for selection in selections:
            if isinstance(selection, SelectedField):
                if inside:
                    found.add(selection.name)
                elif selection.name == list_field:
                    walk(selection.selections, True)
            elif isinstance(selection, (FragmentSpread, InlineFragment)):
                walk(selection.selections, inside)

    for field in info.selected_fields:
        walk(field.selections, False)
    return found


def list_key(*arguments: object) -> str:
    """A short fingerprint of what made the list (its filter and order)."""
    return hashlib.blake2s(repr(arguments).encode(), digest_size=6).hexdigest()


def cursor(block: int, key: str, index: int) -> str:
    """The cursor of the item at `index` of the list `key` at `block` (opaque to clients)."""
    raw = f"{_PREFIX}:{block}:{key}:{index}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def start_after(after: str, block: int, key: str) -> int:
    """The index of the item that follows the cursor `after` in the list `key` at `block`."""
    try:
        padded = after + "=" * (-len(after) % 4)
        prefix, number, made_by, index = (
            base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        )
        cursor_block, position = int(number), int(index)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput(
            f"`after` is not a cursor of this server: {after[:40]!r} (pass a page's "
            "`pageInfo.endCursor`)"
        ) from None
    if prefix != _PREFIX or position < 0:
        raise BadUserInput(f"`after` is not a cursor of this server: {after[:40]!r}")
    if cursor_block != block:
        raise BadUserInput(
            f"`after` is a cursor of the list at block {cursor_block}, not {block}: ask the "
            f"next page at block {cursor_block} (`metagraph(block: {cursor_block})`) so that "
            "the pages are of one list",
            cursorBlock=cursor_block,
        )
    if made_by != key:
        raise BadUserInput(
            "`after` is a cursor of a list with another filter or order: pass the same "
            "`where` and `orderBy` as the page it came from"
        )
    return position + 1
