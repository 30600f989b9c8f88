"""Strawberry's parser cache, with a document that does not parse reported as a GraphQL error
on every transport.

`ParserCache` parses in its `on_parse` hook, before strawberry's own guarded parse: over HTTP
strawberry catches the syntax error further out, but a subscription's stream does not, so a
document that does not parse sent over graphql-transport-ws or graphql-ws ended in a traceback
in the log and a bare `complete`. Here such a document is left unparsed, and strawberry's own
parse reports it (GRAPHQL_PARSE_FAILED; graphql-transport-ws closes with 4400).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache


class ParserCacheReportingErrors(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # Not cached: strawberry parses it again, where the error is reported.
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield
