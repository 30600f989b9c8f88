"""How an impossible setting is told: one line naming the environment variable and what would
be valid, never a traceback, never a secret."""

from __future__ import annotations

from pydantic import ValidationError

from ..redaction import redact_url


class SettingsError(Exception):
    """A setting found impossible at start by a check that needs more than its value (the
    file system, a database driver, the port, the chain): one line naming the variable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"PYLON_{field.upper()}: {message}")


def describe_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting, naming the environment variable to fix."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if not field:
            # A rule on several settings (a model validator): its message names them.
            lines.append(message)
            continue
        secret = field.endswith(("tokens", "token", "redis_url"))  # never echo a secret
        given = item.get("input")
        if field.endswith("network") and isinstance(given, str):
            given = redact_url(given)  # a node provider's key in the URL
        shown = "" if secret else f" (got {given!r})"
        lines.append(f"PYLON_{field.upper()}: {message}{shown}")
    return lines
