"""What a websocket message must hold, in graphql-transport-ws and in graphql-ws.

Strawberry's handlers index into a client's message before looking at it: a JSON array, an
object as `id` or a `start` without payload raised in the handler (a traceback and a 1006
close), and a list as `variables` or a number as `operationName` reached execution. The
handlers (websocket.py) check each message here first.
"""

from __future__ import annotations

from typing import Any

#: A close frame's reason holds at most 123 bytes (RFC 6455, 5.5: 125 with the code).
_MAX_REASON_BYTES = 123


def _operation_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with a `subscribe` (or legacy `start`) payload, or None.

    Both protocols' specs: `query` a string; `variables` and `extensions` objects and
    `operationName` a string, each optional (null allowed)."""
    if not isinstance(payload.get("query"), str):
        return "the payload's `query` must be a string"
    for key, kind, name in (
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
        ("operationName", str, "a string"),
    ):
        value = payload.get(key)
        if value is not None and not isinstance(value, kind):
            return f"the payload's `{key}` must be {name} or null"
    return None


def _needs_id(message: dict[str, Any]) -> str | None:
    id_ = message.get("id")
    if not isinstance(id_, str) or not id_:
        return f"a `{message['type']}` message needs a non-empty string `id`"
    return None


def transport_ws_problem(message: object) -> str | None:
    """Why `message` is no graphql-transport-ws message a client may send, or None.

    The checks of the protocol's reference implementation (graphql-ws' `validateMessage`); a
    type the protocol does not know is left to strawberry, which closes with 4400 as well."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if not isinstance(message.get("type"), str):
        return "a message needs a string `type`"
    kind = message["type"]
    if kind in ("subscribe", "complete") and (problem := _needs_id(message)):
        return problem
    payload = message.get("payload")
    if kind == "subscribe":
        if not isinstance(payload, dict):
            return "a `subscribe` message needs an object `payload`"
        return _operation_problem(payload)
    optional = payload is None or isinstance(payload, dict)
    if kind in ("connection_init", "ping", "pong") and not optional:
        return f"the payload of `{kind}` must be an object or null"
    return None


def legacy_ws_problem(message: object) -> tuple[str, str | None] | None:
    """Why `message` is no graphql-ws message a client may send, and the operation to blame
    (None: the frame names none it could be answered for); None when it is well formed.

    Types the protocol does not know are left to strawberry, which ignores them (as it ignores
    frames that are not JSON); a `connection_init` payload that is no object is strawberry's
    too (a `connection_error`, then a close)."""
    if not isinstance(message, dict):
        return "a message must be a JSON object", None
    if not isinstance(message.get("type"), str):
        return "a message needs a string `type`", None
    kind = message["type"]
    if kind in ("start", "stop") and (problem := _needs_id(message)):
        return problem, None
    if kind == "start":
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "a `start` message needs an object `payload`", message["id"]
        if problem := _operation_problem(payload):
            return problem, message["id"]
    return None


def close_reason(text: str) -> str:
    """`text` cut to fit a close frame's reason."""
    encoded = text.encode()
    if len(encoded) <= _MAX_REASON_BYTES:
        return text
    return encoded[: _MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."
