"""The store's database: Tortoise's configuration for a URL, and aerich's migrations.

Migrations are applied when the store opens (and by `pylon-gql migrate`); they ship inside the
package of a wheel and sit at the repository root in a checkout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext

APP = "models"
#: aerich's migrations: shipped inside the package of a wheel (`pylon_gql/migrations`), or
#: `migrations/` at the repository root when running from a checkout.
_MIGRATION_DIRS = (
    Path(__file__).resolve().parents[1] / "migrations",
    Path(__file__).resolve().parents[2] / "migrations",
)
MIGRATIONS_DIR = next(
    (path for path in _MIGRATION_DIRS if (path / APP).is_dir()), _MIGRATION_DIRS[-1]
)


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": url},
        "apps": {
            APP: {
                "models": ["pylon_gql.store.models", "aerich.models"],
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def ensure_sqlite_dir(url: str) -> None:
    if not url.startswith("sqlite://"):
        return
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


async def migrate(url: str, location: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply aerich's migrations that the database at `url` lacks; returns their names."""
    from aerich import Command

    if not (location / APP).is_dir():
        # aerich would apply nothing and say nothing; the first query would then fail.
        raise FileNotFoundError(
            f"no database migrations in {location / APP}: reinstall pylon-gql (the wheel ships "
            "them in pylon_gql/migrations) or run from a checkout that has migrations/"
        )
    ensure_sqlite_dir(url)
    with TortoiseContext() as context:
        try:
            command = Command(tortoise_config(url), app=APP, location=str(location))
            await command.init()
            return await command.upgrade(run_in_transaction=True)
        finally:
            await context.close_connections()
