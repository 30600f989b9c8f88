"""Services: the one object that wires the parts, starts them in order and stops them in reverse.

settings -> the embedded simnet (network `sim`) -> ChainClient -> ChainReader -> Follower,
with the EventHub the follower publishes to.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .chain.changes import ChangeWatcher
from .chain.client import ChainClient
from .chain.errors import ChainError
from .chain.follower import Follower
from .chain.reader import ChainReader
from .events import EventHub
from .settings import Settings

if TYPE_CHECKING:
    from .simnet import Simnet, SimnetConfig

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings: Settings, *, simnet_config: SimnetConfig | None = None) -> None:
        """`simnet_config`: how to run the embedded node when the network is `sim` (default:
        from the settings, producing blocks every `sim_block_time` seconds)."""
        self.settings = settings
        self.hub = EventHub(queue_size=settings.subscriber_max_lag)
        self.simnet: Simnet | None = None
        self.client: ChainClient | None = None
        self.follower: Follower | None = None
        self.watcher: ChangeWatcher | None = None
        self._reader: ChainReader | None = None
        self._simnet_config = simnet_config

    @property
    def reader(self) -> ChainReader:
        if self._reader is None:
            raise RuntimeError("services are not started")
        return self._reader

    async def start(self) -> None:
        try:
            url = self.settings.network_url
            if self.settings.simulated:
                url = await self._start_simnet()
            assert url is not None
            client = self.client = ChainClient.from_settings(self.settings, url=url)
            try:
                # Loads the runtime metadata once, before anything asks for it concurrently.
                await client.connect()
            except ChainError as error:
                log.warning("the node at %s is not reachable yet (%s); retrying", url, error)
            self._reader = ChainReader(client, self.settings)
            self.follower = Follower(client, self._reader, self.hub)
            # Epochs, registrations and commitments, derived once from the follower's blocks.
            self.watcher = ChangeWatcher(self._reader, self.hub)
            await self.watcher.start()
            # The follower connects, and reconnects, on its own: a node that is down at start
            # shows in /health instead of stopping the server.
            await self.follower.start()
            log.info("following %s (subnet %d)", url, self.settings.netuid)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
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
        return {
            # Heads arriving over a live subscription (or poll) is what "connected" means here.
            "connected": state in ("following", "polling"),
            "follower": {
                "state": state,
                "restarts": 0 if follower is None else follower.restarts,
                "lastError": None if follower is None else follower.last_error,
            },
            "watcher": {
                "state": "stopped" if self.watcher is None else self.watcher.state,
                "restarts": 0 if self.watcher is None else self.watcher.restarts,
                "lastError": None if self.watcher is None else self.watcher.last_error,
            },
        }
