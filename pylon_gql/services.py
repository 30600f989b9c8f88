"""Services: the one object that wires the parts, starts them in order and stops them in reverse.

settings -> the embedded simnet (network `sim`) -> ChainClient -> ChainReader -> Follower,
with the EventHub the follower publishes to.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from . import auth
from .auth import Role
from .broker import event_hub
from .chain.changes import ChangeWatcher
from .chain.client import ChainClient
from .chain.errors import ChainError
from .chain.follower import Follower
from .chain.reader import ChainReader
from .committer import Committer
from .keys import load_signers
from .leadership import Coordination, Leadership, coordination_for
from .redaction import REVEAL
from .settings import Settings, SettingsError
from .startup_checks import check_chain, check_database_reachable
from .store import WeightStore, replica_id
from .writes import WritePath

if TYPE_CHECKING:
    from .simnet import Simnet, SimnetConfig

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings: Settings, *, simnet_config: SimnetConfig | None = None) -> None:
        """`simnet_config`: how to run the embedded node when the network is `sim` (default:
        from the settings, producing blocks every `sim_block_time` seconds)."""
        self.settings = settings
        # Relays commit attempts to the other replicas when PYLON_REDIS_URL is set.
        self.hub = event_hub(settings)
        self.simnet: Simnet | None = None
        self.client: ChainClient | None = None
        self.follower: Follower | None = None
        self.watcher: ChangeWatcher | None = None
        self._reader: ChainReader | None = None
        self._simnet_config = simnet_config
        #: The weight store, committer and signing keys (set at start).
        self.writes: WritePath | None = None
        #: This process's name among the replicas sharing its database.
        self.replica = replica_id(settings.replica_id)
        #: The locks shared with those replicas, and this one's part in the committer's lease.
        self.coordination: Coordination | None = None
        self.leadership: Leadership | None = None
        #: The setting the chain showed to be impossible at start (the start failed on it).
        self.refused: SettingsError | None = None
        #: Tokens made for the simulated chain when none are configured (role -> token).
        self.dev_tokens = dev_tokens(settings)

    @property
    def reader(self) -> ChainReader:
        if self._reader is None:
            raise RuntimeError("services are not started")
        return self._reader

    async def start(self) -> None:
        try:
            # Before anything slow or noisy: a database that is down is one line.
            await check_database_reachable(self.settings.resolved_database_url())
            # Connects in the background: a broker that is down shows in /health.
            await self.hub.start()
            url = self.settings.network_url
            if self.settings.simulated:
                url = await self._start_simnet()
            assert url is not None
            client = self.client = ChainClient.from_settings(self.settings, url=url)
            try:
                # Loads the runtime metadata once, before anything asks for it concurrently.
                await client.connect()
                await check_chain(self.settings, client)
            except ChainError as error:
                log.warning("the node at %s is not reachable yet (%s); retrying", url, error)
            except SettingsError as error:
                self.refused = error
                raise
            self._reader = ChainReader(client, self.settings)
            self.follower = Follower(client, self._reader, self.hub)
            # Epochs, registrations and commitments, derived once from the follower's blocks.
            self.watcher = ChangeWatcher(self._reader, self.hub)
            await self.watcher.start()
            # Subscribed to blocks before the follower announces the first one.
            self.writes = await self._start_writes(client, self._reader)
            # The follower connects, and reconnects, on its own: a node that is down at start
            # shows in /health instead of stopping the server.
            await self.follower.start()
            log.info("following %s (subnet %d)", url, self.settings.netuid)
        except SettingsError as error:  # the database's, too: one line, not a traceback
            self.refused = error
            await self.stop()
            raise
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        leadership, self.leadership = self.leadership, None
        if leadership is not None:
            await leadership.stop()  # another replica may lead from here on
        writes, self.writes = self.writes, None
        if writes is not None:
            await writes.committer.stop()
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            await watcher.stop()
        follower, self.follower = self.follower, None
        if follower is not None:
            await follower.stop()
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        simnet, self.simnet = self.simnet, None
        if simnet is not None:
            await simnet.stop()
        if writes is not None:
            await writes.store.close()
        coordination, self.coordination = self.coordination, None
        if coordination is not None:
            await coordination.close()
        await self.hub.stop()

    async def _start_writes(self, client: ChainClient, reader: ChainReader) -> WritePath:
        """The weight store (migrated), the signing keys, the committer, and the locks shared
        with other replicas on the same database."""
        settings = self.settings
        url = settings.resolved_database_url()
        store = WeightStore(url, replica=self.replica)
        # On PostgreSQL without Redis, the store sends commit events in its transactions.
        self.hub.attach_store(store)
        # Only the committer's leader marks interrupted attempts, when it takes the lead.
        await store.open(mark_interrupted=False)
        leadership: Leadership | None = None
        try:
            coordination = self.coordination = coordination_for(url)
            # Every signed write holds its signer's lock across the replicas.
            client.signer_guard = coordination.signers
            signers = await asyncio.to_thread(load_signers, settings)
            for missing in (signers.validator_missing, signers.owner_missing):
                if missing:
                    log.warning("%s", missing)
            if signers.validator is not None:
                log.info("validator hotkey %s", signers.validator.ss58_address)
            committer = Committer(
                settings,
                reader,
                client,
                store,
                self.hub,
                signers.validator,
                hotkey_missing=signers.validator_missing,
                block_time=settings.sim_block_time if settings.simulated else 12.0,
            )
            if signers.validator is not None:
                leadership = self.leadership = self._leadership(coordination, committer)
                committer.leadership = leadership
            if leadership is None:
                await committer.start()  # no hotkey: it shows so, and commits nothing
            else:
                await leadership.start()  # the committer starts if this replica leads
        except BaseException:
            self.leadership = None
            if leadership is not None:
                await leadership.stop()
            await store.close()
            raise
        if self.dev_tokens:
            banner = "!" * 78
            log.warning(banner)
            log.warning("DEV TOKENS for the simulated chain (no PYLON_*_TOKENS set):")
            for role, token in self.dev_tokens.items():
                # Shown on purpose (the dev tokens of a simulated chain): not redacted.
                log.warning("  %-9s Authorization: Bearer %s", role, token, extra={REVEAL: True})
            log.warning(
                "(kept in %s: the same after a restart on this data dir)",
                self.settings.data_dir.expanduser() / auth.DEV_TOKENS_FILE,
            )
            log.warning(banner)
        return WritePath(store=store, committer=committer, signers=signers, chain=client)

    def _leadership(self, coordination: Coordination, committer: Committer) -> Leadership:
        """The committer's lease for this subnet and hotkey: winning it marks the attempts no
        running replica will finish and starts the committer; losing it steps it down."""
        settings = self.settings
        assert committer.hotkey is not None
        lease = coordination.leader_lease(
            settings.netuid, committer.hotkey.ss58_address, self.replica
        )

        async def elected() -> None:
            await committer.take_lead(lease.running)

        return Leadership(
            lease,
            replica=self.replica,
            retry_interval=settings.leader_retry_interval,
            on_elected=elected,
            on_deposed=committer.step_down,
        )

    async def _start_simnet(self) -> str:
        from .simnet import Simnet, SimnetConfig

        config = self._simnet_config or SimnetConfig(
            port=0, block_time=self.settings.sim_block_time, seed=self.settings.sim_seed
        )
        simnet = self.simnet = Simnet(config)
        await simnet.start()
        url = simnet.url
        banner = "!" * 78
        log.warning(banner)
        log.warning("SIMULATED CHAIN: PYLON_NETWORK is `sim`, so this server follows the embedded")
        log.warning("simulated subtensor node at %s, not a real Bittensor network.", url)
        log.warning("Its blocks, neurons and weights are not on finney. For a real chain set")
        log.warning("PYLON_NETWORK=finney (or test, local, or a ws:// URL).")
        log.warning(banner)
        return url

    def head_age(self) -> float | None:
        """Seconds since the follower saw a new head (None before the first)."""
        return None if self.follower is None else self.follower.head_age

    def status(self) -> dict[str, Any]:
        follower = self.follower
        state = "stopped" if follower is None else follower.state
        stopped = {"state": "stopped", "restarts": 0, "lastError": None}
        return {
            # Heads arriving over a live subscription (or poll) is what "connected" means here.
            "connected": state in ("following", "polling"),
            "follower": stopped if follower is None else follower.status(),
            "committer": {"state": "stopped"}
            if self.writes is None
            else self.writes.committer.status(),
            "watcher": stopped if self.watcher is None else self.watcher.status(),
            "events": self.hub.status(),
        }


def dev_tokens(settings: Settings) -> dict[Role, str]:
    """The simulated chain's dev tokens, kept in the data dir (`auth.dev_tokens`)."""
    return auth.dev_tokens(settings)
