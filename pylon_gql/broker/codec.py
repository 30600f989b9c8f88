"""The events replicas relay to each other, as bytes on the wire.

One JSON object per event: the format's version, the replica that published it (so that a
replica skips its own echo) and the event. Only the kinds that are not per replica travel
(`SHARED`: commit attempts). A message this version cannot read (a newer replica during a
rolling upgrade, something else on the channel) raises `UnreadableMessage`: the relay skips it.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import orjson

from ..models import CommitAttempt, CommitMode, CommitStatus, CommitTrigger

VERSION = 1

#: The event kinds relayed between replicas; every other kind stays in its process.
SHARED: tuple[type, ...] = (CommitAttempt,)

_KINDS: dict[str, type] = {"CommitAttempt": CommitAttempt}
_ENUMS: dict[str, type] = {"mode": CommitMode, "trigger": CommitTrigger, "status": CommitStatus}
_TIMES = ("created_at", "updated_at")


class UnreadableMessage(ValueError):
    """Bytes on the channel that are not an event this version relays."""


def encode(event: CommitAttempt, *, origin: str) -> bytes:
    body = {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}
    return orjson.dumps(
        {"v": VERSION, "origin": origin, "kind": type(event).__name__, "event": body}
    )


def decode(payload: bytes | str) -> tuple[str, CommitAttempt]:
    """The replica that published the event, and the event."""
    try:
        message = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise UnreadableMessage(f"not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise UnreadableMessage("not a JSON object")
    if message.get("v") != VERSION:
        raise UnreadableMessage(f"format version {message.get('v')!r}, not {VERSION}")
    kind, origin, body = message.get("kind"), message.get("origin"), message.get("event")
    if kind not in _KINDS:
        raise UnreadableMessage(f"unknown event kind {kind!r}")
    if not isinstance(origin, str) or not isinstance(body, dict):
        raise UnreadableMessage("no origin or no event")
    try:
        return origin, CommitAttempt(**_fields(body))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableMessage(f"not a commit attempt ({type(exc).__name__}: {exc})") from None


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(CommitAttempt):
        if field.name not in body:
            if field.default is dataclasses.MISSING:
                raise KeyError(field.name)
            continue
        value = body[field.name]
        if field.name in _ENUMS:
            value = _ENUMS[field.name](value)
        elif field.name in _TIMES:
            value = datetime.datetime.fromisoformat(value)
        values[field.name] = value
    return values
