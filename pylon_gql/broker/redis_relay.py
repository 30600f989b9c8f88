"""`RedisRelay`: replicas' events over one Redis pub/sub channel (`PYLON_REDIS_URL`).

Two connections: one subscribed to the channel, read in a supervised loop, and one that
publishes what this replica sends, from a queue, in order. Redis pub/sub keeps nothing: a
message sent while a replica is not subscribed is lost to it, and that is what at most once
means here (`weightCommit(fromId:)` replays the commit log for a client that must miss
nothing).

An outage (Redis down at start, killed, a network that stops answering) never stops the server:
its own events still reach its subscribers. It is logged in one line, shown in /health
(`events.state` "down"), and the listener connects again with a doubling backoff; a silent
connection is found by a PING every `ping_interval` seconds without traffic. redis-py's own
retries are off: they would hide a drop, and the messages lost during it, behind a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Literal

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..redaction import redact_url
from ..supervise import Supervisor

logger = logging.getLogger(__name__)

RelayState = Literal["stopped", "connecting", "connected", "down"]

#: What a replica queues for the broker before it drops what it sends (Redis is that slow).
OUTBOX_SIZE = 1000


class RedisRelay:
    name = "redis"

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        ping_interval: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._url = url
        self.shown_url = redact_url(url)
        self.channel = channel
        self.ping_interval = ping_interval
        self.connect_timeout = connect_timeout
        self.state: RelayState = "stopped"
        #: Events sent to the broker, and those dropped (the broker could not take them).
        self.sent = 0
        self.dropped = 0
        self._deliver: Callable[[bytes], None] | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_SIZE)
        self._sender: asyncio.Task[None] | None = None
        self._send_failing = False
        self._ever_connected = False
        self.supervisor = Supervisor(
            "event-relay",
            self._listen,
            doing=f"relaying commit events through Redis at {self.shown_url}",
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            expected=(RedisError, OSError, TimeoutError),
            on_failure=self._failed,
            log_repeats=False,
        )

    def _client(self) -> Redis:
        # No retries in redis-py: a dropped connection must surface here (see the module).
        return Redis.from_url(
            self._url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=self.connect_timeout,
        )

    # --- lifecycle

    def start(self, deliver: Callable[[bytes], None]) -> None:
        if self.supervisor.running:
            return
        self._deliver = deliver
        self.state = "connecting"
        self.supervisor.start()
        self._sender = asyncio.create_task(self._send_loop(), name="event-relay-sender")

    async def stop(self) -> None:
        await self.supervisor.stop()
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        self.state = "stopped"

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "channel": self.channel,
            **{k: v for k, v in self.supervisor.status(self.state).items() if k != "state"},
            "sent": self.sent,
            "dropped": self.dropped,
        }

    # --- receiving

    def _failed(self, exc: Exception) -> None:
        self.state = "down"

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._client()
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._connected()
                heard = pinged = loop.time()
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=min(1.0, self.ping_interval)
                    )
                    now = loop.time()
                    if message is not None:
                        heard = now  # a PONG counts: the connection is alive
                        if message["type"] == "message" and self._deliver is not None:
                            self._deliver(message["data"])
                        continue
                    if now - heard > 3 * self.ping_interval:
                        raise TimeoutError(
                            f"Redis answered nothing for {now - heard:.0f} s (not even a PING)"
                        )
                    if now - pinged >= self.ping_interval:
                        await pubsub.ping()
                        pinged = now
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    def _connected(self) -> None:
        if not self._ever_connected:
            logger.info(
                "commit events are relayed between replicas through Redis at %s (channel %s)",
                self.shown_url,
                self.channel,
            )
        elif self.state == "down":
            logger.warning(
                "Redis at %s is back: commit events of other replicas reach this one again "
                "(those sent while it was down are lost: weightCommit(fromId:) replays them)",
                self.shown_url,
            )
        self._ever_connected = True
        self.state = "connected"
        self.supervisor.recovered()

    # --- sending

    def send(self, payload: bytes) -> None:
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _send_loop(self) -> None:
        client = self._client()
        try:
            while True:
                payload = await self._outbox.get()
                try:
                    await client.publish(self.channel, payload)
                except (RedisError, OSError, TimeoutError) as exc:
                    self.dropped += 1
                    if not self._send_failing:
                        logger.warning(
                            "a commit event did not reach the other replicas (Redis at %s: "
                            "%s: %s); their weightCommit subscribers catch up with fromId",
                            self.shown_url,
                            type(exc).__name__,
                            exc,
                        )
                    self._send_failing = True
                except Exception:  # never let the sender die: the next event may go through
                    self.dropped += 1
                    logger.exception("relaying a commit event failed")
                else:
                    self.sent += 1
                    self._send_failing = False
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
