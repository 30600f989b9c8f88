"""The `pylon-gql` command: serve, simnet, export-schema, migrate, dev-wallets.

Imports are lazy: `pylon-gql --help` and `--version` load click and nothing of the server
(bittensor, strawberry, pydantic take seconds); each command imports what it runs.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from . import __version__

if TYPE_CHECKING:
    from .settings import Settings, SettingsError

logger = logging.getLogger(__name__)


class LazyGroup(click.Group):
    """A group whose `lazy` commands live in modules imported only when that command runs;
    their one-line help is given here, so that `--help` imports none of them."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: name -> ("module:attribute", one-line help)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
            elif (command := super().get_command(ctx, name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy={
        "simnet": (
            "pylon_gql.simnet.cli:simnet_command",
            "Run a simulated subtensor node: finney block 6852690 with subnet 1...",
        )
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="pylon-gql")
def main() -> None:
    """pylon-gql: a GraphQL API server for a Bittensor subnet."""


#: uvicorn's websocket protocol: the sans-I/O one works with websockets 14 (turbobt pins it)
#: and without uvicorn's legacy websockets implementation.
UVICORN_WS = "websockets-sansio"


def load_settings(**overrides: object) -> Settings:
    """The settings, or exit with one line per invalid setting."""
    from pydantic import ValidationError

    from .settings import Settings, describe_errors

    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as error:
        for line in describe_errors(error):
            click.echo(f"invalid setting: {line}", err=True)
        raise SystemExit(2) from None


def refuse(error: SettingsError) -> NoReturn:
    from .redaction import redact

    # Not a log record, so not filtered: a node URL in it (`subnet 9 does not exist on ...`)
    # is redacted here.
    click.echo(f"invalid setting: {redact(str(error))}", err=True)
    raise SystemExit(2)


def start_logging(settings: Settings) -> None:
    """The log as the settings say, then a warning for each `PYLON_` variable that names no
    setting (a misspelt one is otherwise ignored without a word)."""
    from .logs import configure_logging
    from .settings import unknown_variables

    configure_logging(settings.log_level, settings.log_format)
    for line in unknown_variables():
        logger.warning("%s", line)


@main.command()
@click.option("--host", help="Address to listen on (PYLON_HOST).")
@click.option("--port", type=int, help="Port to listen on, 0 for any free one (PYLON_PORT).")
@click.option("--network", help="sim, finney, test, local or a ws(s):// URL (PYLON_NETWORK).")
def serve(host: str | None, port: int | None, network: str | None) -> None:
    """Serve the GraphQL API (by default over the embedded simulated chain)."""
    settings = load_settings(host=host, port=port, network=network)
    import asyncio

    from .settings import SettingsError
    from .startup_checks import check_database_reachable, check_local

    try:
        check_local(settings)  # before the slow part of the start
        asyncio.run(check_database_reachable(settings.resolved_database_url()))
    except SettingsError as error:
        refuse(error)
    start_logging(settings)
    import uvicorn

    from .http import create_app
    from .services import Services

    services = Services(settings)
    app = create_app(settings, services)
    # A setting the chain refuses fails the app's start: that one line, not uvicorn's traceback.
    logging.getLogger("uvicorn.error").addFilter(lambda record: services.refused is None)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws=UVICORN_WS,
        ws_max_size=settings.ws_max_message_bytes,
        timeout_keep_alive=settings.keep_alive,
        log_config=None,
        log_level=settings.log_level.lower(),
        # Access lines are INFO records: above INFO none is written, and uvicorn would still
        # build each one's arguments (the client's address, the quoted path) per request.
        access_log=settings.access_log and logging.getLevelName(settings.log_level) <= logging.INFO,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    try:
        # uvicorn shuts down gracefully on Ctrl-C, then raises it again: that is not an error.
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    finally:
        if services.refused is not None:
            refuse(services.refused)  # instead of uvicorn's exit 3 of a failed start
    if not server.started:
        raise SystemExit(1)


@main.command("export-schema")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("schema.graphql"),
    show_default=True,
    help="File to write the SDL to; - for standard output.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the file differs.")
def export_schema(output: Path, check: bool) -> None:
    """Write the GraphQL schema (SDL) that the code defines."""
    from .schema import schema_sdl

    sdl = schema_sdl()
    if str(output) == "-":
        click.echo(sdl, nl=False)
        return
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            click.echo(
                f"{output} differs from the code's schema: run pylon-gql export-schema", err=True
            )
            raise SystemExit(1)
        return
    output.write_text(sdl, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@main.command()
def migrate() -> None:
    """Apply the database migrations the database lacks (the server also does at start)."""
    import asyncio

    from .settings import SettingsError
    from .startup_checks import check_database_url
    from .store import migrate as apply_migrations

    settings = load_settings()
    start_logging(settings)
    url = settings.resolved_database_url()
    try:
        check_database_url(url)  # its driver installed (asyncpg: pylon-gql[postgres])
        applied = asyncio.run(apply_migrations(url))
    except SettingsError as error:  # the database cannot be reached: one line, no traceback
        refuse(error)
    except TimeoutError as error:  # another process kept the migration lock
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    if applied:
        click.echo(f"applied {len(applied)} migration(s): {', '.join(applied)}", err=True)
    else:
        click.echo("the database is up to date", err=True)


@main.command("dev-wallets")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def dev_wallets(path: Path) -> None:
    """Write the simulated node's dev wallets into PATH (for servers on a standalone simnet)."""
    from .keys import DEV_OWNER_WALLET, DEV_VALIDATOR_WALLET, write_dev_wallets

    path = path.expanduser().resolve()
    write_dev_wallets(path)
    # Only `PYLON_NETWORK=sim` picks the dev wallets by itself; a server on a simnet reached by
    # URL (another process, another container) is told where they are, as for a real chain.
    click.echo(f"dev wallets of the simulated node in {path} (test keys: worthless elsewhere)")
    click.echo(f"  PYLON_WALLET_PATH={path} PYLON_WALLET_NAME={DEV_VALIDATOR_WALLET}")
    click.echo(f"  PYLON_OWNER_WALLET_PATH={path} PYLON_OWNER_WALLET_NAME={DEV_OWNER_WALLET}")
