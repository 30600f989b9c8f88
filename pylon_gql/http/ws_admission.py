"""Websocket connection slots (`PYLON_WS_MAX_CONNECTIONS`): the view takes one per connection
(`Admission.enter`), the connection's handler counts it at `connection_init`
(`Admission.acknowledge`, websocket.py), and the view gives it back when the connection ends.
"""

from __future__ import annotations

from collections.abc import Callable

#: The scope key under which the view hands a connection's `Slot` to its handler.
SLOT_KEY = "pylon.ws_slot"


class Slot:
    """One connection's place in `Admission`: pending until its `connection_init` is accepted."""

    def __init__(self) -> None:
        self.acknowledged = False
        self.evicted = False
        self._on_evict: Callable[[], None] | None = None

    def on_evict(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the connection is to be closed to make room (now if it is)."""
        self._on_evict = callback
        if self.evicted:
            callback()

    def evict(self) -> None:
        self.evicted = True
        if self._on_evict is not None:
            self._on_evict()


class Admission:
    """Who holds a websocket slot, so that connections nobody has authenticated cannot take
    the ones `PYLON_WS_MAX_CONNECTIONS` grants.

    A connection counts against `limit` once its `connection_init` is accepted: one refused
    there (an unknown token; no token while reads are closed) never counts. Until then it is
    pending; pending connections are bounded apart (as many as `limit`), and one more closes
    the oldest pending one (4408, as if its init timeout had passed) instead of being refused:
    a flood of connections that never send `connection_init` cannot keep a client that sends
    it at once from getting in; it would have to open `limit` connections in the moment
    between that client's handshake and its first message.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.acknowledged = 0
        self._pending: dict[Slot, None] = {}  # oldest first

    @property
    def full(self) -> bool:
        return self.acknowledged >= self.limit

    @property
    def pending(self) -> int:
        return len(self._pending)

    def enter(self) -> Slot:
        if len(self._pending) >= self.limit:
            oldest = next(iter(self._pending))
            del self._pending[oldest]
            oldest.evict()
        slot = Slot()
        self._pending[slot] = None
        return slot

    def acknowledge(self, slot: Slot) -> bool:
        """Count `slot`'s connection against the limit; False when the server is full."""
        if slot.acknowledged:
            return True
        if slot.evicted or self.full:
            return False
        self._pending.pop(slot, None)
        slot.acknowledged = True
        self.acknowledged += 1
        return True

    def leave(self, slot: Slot) -> None:
        if slot.acknowledged:
            slot.acknowledged = False
            self.acknowledged -= 1
        self._pending.pop(slot, None)
