"""`RedisRelay`: replicas' events over one Redis pub/sub channel (`PYLON_REDIS_URL`).

Two connections: one subscribed to the channel, read in a supervised loop (`ListeningRelay`),
and one that publishes what this replica sends, from a queue, in order. Redis pub/sub keeps
nothing: a message sent while a replica is not subscribed is lost to it, and that is what at
most once means here (`weightCommit(fromId:)` replays the commit log for a client that must
miss nothing).

A silent connection (a network that drops packets) is found by a PING every `ping_interval`
seconds without traffic. redis-py's own retries are off: they would hide a drop, and the
messages lost during it, behind a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..redaction import redact_url
from .relay import ListeningRelay

logger = logging.getLogger(__name__)

#: What a replica queues for the broker before it drops what it sends (Redis is that slow).
OUTBOX_SIZE = 1000

_ERRORS = (RedisError, OSError, TimeoutError)


class RedisRelay(ListeningRelay):
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
        super().__init__(
            channel=channel,
            shown_url=redact_url(url),
            listen=self._listen,
            errors=_ERRORS,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
        )
        self._url = url
        self.ping_interval = ping_interval
        self.connect_timeout = connect_timeout
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_SIZE)
        self._sender: asyncio.Task[None] | None = None
        self._send_failing = False

    def _client(self) -> Redis:
        # No retries in redis-py: a dropped connection must surface here (see the module).
        return Redis.from_url(
            self._url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=self.connect_timeout,
        )

    def start(self, deliver: Callable[[bytes], None]) -> None:
        if self.supervisor.running:
            return
        super().start(deliver)
        self._sender = asyncio.create_task(self._send_loop(), name="event-relay-sender")

    async def stop(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        await super().stop()

    # --- receiving

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._client()
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.connected()
                heard = pinged = loop.time()
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=min(1.0, self.ping_interval)
                    )
                    now = loop.time()
                    if message is not None:
                        heard = now  # a PONG counts: the connection is alive
                        if message["type"] == "message":
                            self.deliver(message["data"])
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
                except _ERRORS as exc:
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
