"""Replicas of the server on one standalone simnet and one database: settings for each, an
in-process one served by uvicorn, and one run as a real `pylon-gql serve` process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pylon_gql.keys import DEV_OWNER_WALLET, DEV_VALIDATOR_WALLET, write_dev_wallets
from pylon_gql.services import Services
from pylon_gql.settings import Settings
from tests.e2e.conftest import PATIENCE, free_port, graphql, running, settings_for

#: The simnet's subnet where its dev validator (//Bob) holds a uid.
NETUID = 2
VALIDATOR = "replicas-validator-token"
OWNER = "replicas-owner-token"
AUTH = {"authorization": f"Bearer {VALIDATOR}"}


def replica_values(
    network: str, database_url: str, root: Path, replica: str, **overrides: Any
) -> dict[str, Any]:
    """The settings of one replica: the shared chain and database, its own data dir and id."""
    wallets = root / "wallets"
    write_dev_wallets(wallets)
    return {
        "network": network,
        "netuid": NETUID,
        "database_url": database_url,
        "data_dir": root / replica,
        "replica_id": replica,
        "wallet_name": DEV_VALIDATOR_WALLET,
        "wallet_hotkey": "default",
        "wallet_path": wallets,
        "owner_wallet_name": DEV_OWNER_WALLET,
        "owner_wallet_path": wallets,
        "validator_tokens": VALIDATOR,
        "owner_tokens": OWNER,
        **overrides,
    }


@dataclass
class Replica:
    url: str
    http: httpx.AsyncClient
    services: Services | None = None

    async def health(self) -> dict[str, Any]:
        return (await self.http.get("/health")).json()

    async def committer(self) -> dict[str, Any]:
        return (await self.health())["committer"]

    async def post(self, document: str, variables: dict[str, Any] | None = None) -> dict:
        return await graphql(self.http, document, variables)


async def until(condition: Any, what: str) -> None:
    """Until `await condition()` is true (generous: the machine is shared)."""
    try:
        async with asyncio.timeout(PATIENCE):
            while not await condition():  # noqa: ASYNC110 - other processes' state
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {PATIENCE} s: {what}") from None


async def healthy(replica: Replica) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return (await replica.http.get("/health")).status_code == 200
    return False


@contextlib.asynccontextmanager
async def in_process(values: dict[str, Any]) -> AsyncIterator[Replica]:
    settings: Settings = settings_for(**values)
    services = Services(settings)
    async with (
        running(settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=PATIENCE, headers=AUTH) as http,
    ):
        replica = Replica(url, http, services)
        await until(lambda: healthy(replica), f"{settings.replica_id} healthy")
        yield replica


@dataclass
class Process:
    replica: Replica
    process: asyncio.subprocess.Process

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the database; the OS closes its files and
        sockets."""
        os.kill(self.process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def as_process(values: dict[str, Any], log: Path) -> AsyncIterator[Process]:
    """`pylon-gql serve` with `values` as PYLON_* variables, in a directory without a .env."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYLON_")}
    for key, value in {**values, "port": port, "rate_limits": False}.items():
        environment[f"PYLON_{key.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    command = Path(sys.executable).with_name("pylon-gql")
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(command),
            "serve",
            env=environment,
            cwd=log.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=PATIENCE, headers=AUTH) as http:
            replica = Replica(url, http)

            async def up() -> bool:
                if process.returncode is not None:
                    said = await asyncio.to_thread(log.read_text)
                    raise AssertionError(f"pylon-gql serve exited: {said[-3000:]}")
                return await healthy(replica)

            await until(up, "the pylon-gql serve process healthy")
            yield Process(replica, process)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), PATIENCE)
            except TimeoutError:
                process.kill()
                await process.wait()
