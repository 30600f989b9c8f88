"""The store's errors that a user acts on: a weight out of range, and a database that cannot
be reached or logged into (said in one line with the URL's secrets hidden)."""

from __future__ import annotations

from ..redaction import redact, redact_url
from ..settings.errors import SettingsError


class WeightRangeError(ValueError):
    """A weight (or a weight after a delta) that is not a finite number >= 0."""


class StoreUnavailable(SettingsError):
    """The database at a URL cannot be reached (refused, unknown host, wrong password, no such
    database): one line naming PYLON_DATABASE_URL, with the URL's user info hidden."""

    def __init__(self, url: str, cause: BaseException) -> None:
        self.url = redact_url(url)
        reason = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
        super().__init__(
            "database_url",
            f"cannot open the database {self.url} ({redact(reason)}): check its host, port, "
            "user, password and database name, and that the database server runs",
        )


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or logged into (not a bug)."""
    if isinstance(exc, OSError):  # refused, unknown host, timed out: asyncpg's are OSErrors
        return True
    try:
        import asyncpg
    except ImportError:
        return False
    return isinstance(
        exc,
        asyncpg.InvalidAuthorizationSpecificationError  # no such user, wrong password
        | asyncpg.InvalidCatalogNameError  # no such database
        | asyncpg.CannotConnectNowError  # starting up, shutting down
        | asyncpg.TooManyConnectionsError,
    )
