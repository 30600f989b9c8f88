"""The websocket gauges: open connections, and running subscriptions by the field they select.

The protocol handlers (websocket.py) hold a connection's gauge for its whole life and a
subscription's for its operation's: both come down however these end (completed, stopped by
the client, dropped, cancelled at shutdown), since they are released in `finally`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from .. import metrics


@contextlib.contextmanager
def open_connection() -> Iterator[None]:
    metrics.WEBSOCKET_CONNECTIONS.inc()
    try:
        yield
    finally:
        metrics.WEBSOCKET_CONNECTIONS.dec()


@contextlib.contextmanager
def running_subscription(
    schema: Any, query: object, operation_name: object, max_tokens: int
) -> Iterator[None]:
    """Counts the operation under its subscription field while it runs. One that selects no
    field of the schema's Subscription type (a query, a typo, a document that does not parse)
    is not counted: its label would be the client's choice, and it ends at once anyway."""
    field = subscription_field(schema, query, operation_name, max_tokens)
    if field is None:
        yield
        return
    gauge = metrics.ACTIVE_SUBSCRIPTIONS.labels(field)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def subscription_field(
    schema: Any, query: object, operation_name: object, max_tokens: int
) -> str | None:
    """The root field a subscription document selects, when it is one of `schema`'s (a
    strawberry schema); None otherwise."""
    subscription_type = getattr(getattr(schema, "_schema", None), "subscription_type", None)
    if subscription_type is None or not isinstance(query, str):
        return None
    try:
        # The same bound on the document as the schema's (MaxTokensLimiter), before any work.
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    name = _first_field(operations[0].selection_set, fragments, set())
    return name if name in subscription_type.fields else None


def _first_field(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> str | None:
    """A subscription selects exactly one root field (the spec's "single root field" rule):
    the first found, through fragments too."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            return selection.name.value
        if isinstance(selection, InlineFragmentNode):
            found = _first_field(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            found = (
                None if fragment is None else _first_field(fragment.selection_set, fragments, seen)
            )
        else:
            continue
        if found is not None:
            return found
    return None
