"""One GraphQL call over HTTP: gql's aiohttp transport, errors by kind, retries, a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportQueryError,
    TransportServerError,
)
from graphql import GraphQLError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from .errors import (
    RETRYABLE,
    InvalidInput,
    PermissionDenied,
    PylonError,
    PylonTimeout,
    RateLimited,
    Unavailable,
    error_from_graphql,
)

#: HTTP statuses that mean "try again soon".
RETRY_STATUSES = frozenset({502, 503, 504})


def graphql_url(url: str) -> str:
    """`http://host:8000` -> `http://host:8000/graphql`; a URL with a path is kept as is."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"pylon-gql URL must be http(s)://..., got {url!r}")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/graphql")
    return urlunsplit(parts)


def websocket_url(url: str) -> str:
    parts = urlsplit(graphql_url(url))
    return urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws"))


def bare_token(token: str | None) -> str | None:
    """The token as the server issued it: a `Bearer ` prefix pasted with it (from a header or
    a curl line) and the whitespace around it dropped; None for an empty one."""
    if token is None:
        return None
    scheme, _, rest = token.strip().partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return rest.strip()
    return token.strip() or None


def auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def error_from_transport(error: Exception) -> PylonError:
    """The client's view of a gql/aiohttp failure."""
    if isinstance(error, TransportQueryError):
        return error_from_graphql(error.errors or [{"message": str(error)}])
    if isinstance(error, TransportServerError):
        status = error.code
        extensions = {"status": status}
        if status in RETRY_STATUSES:
            return Unavailable(f"HTTP {status}: {error}", extensions=extensions)
        if status == 429:
            return RateLimited(f"HTTP 429: {error}", extensions=extensions)
        if status in (401, 403):
            return PermissionDenied(f"HTTP {status}: {error}", extensions=extensions)
        return PylonError(f"HTTP {status}: {error}", code=f"HTTP_{status}", extensions=extensions)
    if isinstance(error, GraphQLError):
        # gql parses documents locally: a syntax error never reaches the server.
        return InvalidInput(error.message, code="GRAPHQL_PARSE_FAILED")
    if isinstance(
        error, TransportConnectionFailed | aiohttp.ClientError | OSError | asyncio.TimeoutError
    ):
        return Unavailable(f"cannot reach the server: {error or type(error).__name__}")
    if isinstance(error, TransportError):
        return PylonError(f"{type(error).__name__}: {error}")
    raise error


class HttpCaller:
    """Executes documents on one gql session; `call` retries what is worth retrying."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        timeout: float,
        retries: int,
        backoff: float,
        max_backoff: float,
    ) -> None:
        self.url = graphql_url(url)
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        #: HTTP requests sent (attempts, retries included).
        self.attempts = 0
        self._client: Client | None = None
        self._session: AsyncClientSession | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> AsyncClientSession:
        async with self._lock:
            if self._session is None:
                # No per-request timeout here: `call` bounds every call as a whole.
                transport = AIOHTTPTransport(self.url, headers=auth_headers(self.token))
                client = Client(transport=transport, execute_timeout=None)
                self._session = await client.connect_async(reconnecting=False)  # type: ignore[assignment]
                self._client = client
            assert self._session is not None
            return self._session

    async def close(self) -> None:
        async with self._lock:
            client, self._client, self._session = self._client, None, None
            if client is not None:
                await client.close_async()

    async def _attempt(self, request: GraphQLRequest) -> dict[str, Any]:
        session = await self._connected()
        self.attempts += 1
        try:
            return await session.execute(request)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise error_from_transport(error) from error

    async def call(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (a per-call budget, retries included)
        retries: int | None = None,
    ) -> dict[str, Any]:
        """The answer's `data`; raises a `PylonError` by kind after the retries."""
        try:
            request = GraphQLRequest(
                document, variable_values=dict(variables or {}), operation_name=operation_name
            )
        except GraphQLError as error:
            raise error_from_transport(error) from error
        budget = self.timeout if timeout is None else timeout
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + (self.retries if retries is None else retries)),
            wait=wait_exponential_jitter(initial=self.backoff, max=self.max_backoff),
            retry=retry_if_exception_type(RETRYABLE),
            reraise=True,
        )
        try:
            async with asyncio.timeout(budget):
                async for attempt in retrying:
                    with attempt:
                        return await self._attempt(request)
        except TimeoutError as error:
            raise PylonTimeout(f"no answer within {budget} s") from error
        raise AssertionError("unreachable")  # pragma: no cover
