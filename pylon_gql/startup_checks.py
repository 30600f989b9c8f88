"""What the start checks that the settings' values alone cannot tell.

`Settings` refuses a value that is wrong by itself (a negative port, `inf` seconds). Some
settings are impossible only given the machine or the chain: a data dir that is a file, a
database URL whose driver is not installed, a port another process holds, a subnet that does
not exist, a commit window longer than the subnet's epochs. Each of these raises
`SettingsError`, one line naming the variable and what would do, before the server serves; the
local ones before the slow part of the start (the simnet, the runtime metadata), so a typo
costs no wait.
"""

from __future__ import annotations

import importlib
import logging
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .chain.errors import SubnetNotFound
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    # Not at run time: the chain client brings turbobt and bittensor (seconds), and the local
    # checks run before them so that a busy port or a bad path costs no wait.
    from .chain.client import ChainClient

logger = logging.getLogger(__name__)

#: Seconds a PostgreSQL login may take at the start (an address that drops packets hangs).
_DATABASE_LOGIN_TIMEOUT = 10
_DATABASE_EXAMPLES = "sqlite://<path> or postgres://<user>:<password>@<host>:<port>/<database>"


def check_local(settings: Settings) -> None:
    """The port, the data dir and the database URL (raises `SettingsError`)."""
    check_port(settings.host, settings.port)
    if settings.database_url is None or settings.simulated:
        # The default database and the simulated chain's dev wallets live there.
        check_data_dir(settings.data_dir)
    check_database_url(settings.resolved_database_url())


def check_port(host: str, port: int) -> None:
    """Whether the server can listen on `host:port` (0: any free port, on an address of this
    machine)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SettingsError("host", f"{host!r} is not an address of this machine ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port in TIME_WAIT after a restart is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if port == 0:  # no port is taken: the address is not this machine's
                raise SettingsError(
                    "host",
                    f"cannot listen on {host} ({exc.strerror or exc}): use an address of this "
                    "machine (127.0.0.1, 0.0.0.0 for all)",
                ) from None
            raise SettingsError(
                "port",
                f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose a free port, "
                "or 0 for any",
            ) from None


def check_data_dir(path: Path, field: str = "data_dir") -> None:
    """`path` is a directory the server can write to (made when missing)."""
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise SettingsError(field, f"{path} is a file: name a directory (made when missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise SettingsError(
            field,
            f"{path} is not a directory the server can write to ({exc.strerror or exc}): "
            "name one it may create and write",
        ) from None


def check_database_url(url: str) -> None:
    """`url` names a database the ORM knows, and its driver is installed. The URL is never
    echoed: it may hold a password."""
    from tortoise.backends.base.config_generator import expand_db_url
    from tortoise.exceptions import ConfigurationError

    try:
        engine = expand_db_url(url)["engine"]
    except (ConfigurationError, ValueError, KeyError) as exc:
        raise SettingsError(
            "database_url", f"not a database URL ({exc}): use {_DATABASE_EXAMPLES}"
        ) from None
    if engine.endswith(".sqlite"):
        file = str(expand_db_url(url)["credentials"]["file_path"])
        if file != ":memory:":
            # The SQLite file's directory (made when missing, as the data dir is).
            check_data_dir(Path(file).expanduser().parent, "database_url")
    try:
        importlib.import_module(engine)
    except ImportError as exc:
        driver = exc.name or engine
        scheme = url.split(":", 1)[0]
        # The package's `postgres` extra brings asyncpg (tortoise's, at its pinned version).
        install = "'pylon-gql[postgres]'" if driver == "asyncpg" else driver
        raise SettingsError(
            "database_url",
            f"a {scheme}:// database needs the `{driver}` package, which is not installed: "
            f"pip install {install}, or use sqlite://<path>",
        ) from None


async def check_database_reachable(url: str) -> None:
    """A PostgreSQL database at `url` answers a login (raises `StoreUnavailable`, a
    `SettingsError`): checked before the slow part of the start, so that a database that is down
    or a wrong password is one line, not a stack of retries. SQLite needs no check here."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import asyncpg

    from .store.errors import StoreUnavailable, unreachable

    try:
        connection = await asyncpg.connect(url, timeout=_DATABASE_LOGIN_TIMEOUT)
    except Exception as exc:
        if unreachable(exc) or isinstance(exc, TimeoutError):
            raise StoreUnavailable(url, exc) from None
        raise
    await connection.close()


async def check_chain(settings: Settings, client: ChainClient) -> None:
    """The subnet exists at the node's finalized head, and its epochs leave a commit window
    (raises `SettingsError`; `ChainError` when the node cannot tell)."""
    head = await client.finalized_head()
    netuid = settings.netuid
    try:
        tempo = (await client.hyperparameters(netuid, head)).tempo
    except SubnetNotFound:
        raise SettingsError(
            "netuid",
            f"subnet {netuid} does not exist on {settings.network} (at block {head.number}): "
            "use the netuid of an existing subnet",
        ) from None
    buffer = settings.commit_window_end_buffer
    problem: SettingsError | None = None
    if buffer > tempo:
        problem = SettingsError(
            "commit_window_end_buffer",
            f"{buffer} blocks is more than subnet {netuid}'s whole epoch (tempo {tempo}): "
            f"use at most {tempo}",
        )
    elif settings.commit_window_start_offset > (most := tempo - buffer):
        problem = SettingsError(
            "commit_window_start_offset",
            f"{settings.commit_window_start_offset} blocks opens the commit window after it "
            f"closes (subnet {netuid}: tempo {tempo}, end buffer {buffer}): use at most {most}",
        )
    if problem is None:
        return
    chosen = {"commit_window_start_offset", "commit_window_end_buffer"} & settings.model_fields_set
    if chosen:
        raise problem
    # The defaults (50, 10) suit tempos from 60 up; a subnet of shorter epochs still serves
    # reads, so the server starts and says what to set.
    logger.warning("the default commit window never opens: %s", problem)
