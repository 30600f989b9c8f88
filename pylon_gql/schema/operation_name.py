"""A document of several operations runs only the one `operationName` names.

Strawberry takes the first operation when no name is given (its `operation_name` falls back to
it), so a POST of `mutation A {...} query B {...}` ran the mutation. The GraphQL spec
(GetOperation) and GraphQL-over-HTTP call that a request error: nothing runs, and the client
is told to name one.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from .errors import ErrorCode

#: Names listed in the error; a document may hold thousands of operations.
_NAMES_SHOWN = 5


class OperationNameRequired(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        unnamed = context._provided_operation_name is None  # strawberry keeps no public copy
        if document is not None and unnamed and not context.pre_execution_errors:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                # Set before validation runs: strawberry then skips it and executes nothing.
                context.pre_execution_errors = [_unnamed(operations)]
        yield


def _unnamed(operations: list[OperationDefinitionNode]) -> GraphQLError:
    names = [o.name.value if o.name else "(anonymous)" for o in operations[:_NAMES_SHOWN]]
    more = len(operations) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    return GraphQLError(
        f"the document has {len(operations)} operations ({listed}): name the one to run in "
        "`operationName`",
        extensions={"code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value},
    )
