"""Spots replayed telemetry: the same unit reporting the same timestamp twice.

A unit never legitimately sends two fixes stamped with the same instant; a captured message sent again does.
MQTT QoS 1 also redelivers: a message whose acknowledgement (sent only after its commit) was lost in a reconnect
comes again with the broker's DUP flag. It lands here too and is not stored twice, but is counted as
`redelivered`, not as a replay, and raises no security event: the broker sets DUP on what it sends psn,
whatever the publishing device set, so a device cannot use it to hide a replay. After a restart this memory is
empty: a redelivered fix passes, and the store's unique (unit, ts) key ignores it. Memory is bounded: the last
`window` stamps per unit.
"""

from __future__ import annotations

import collections
import threading


class ReplayGuard:
    def __init__(self, window: int = 64) -> None:
        self.window = window
        self._recent: dict[str, tuple[collections.deque[float], set[float]]] = {}
        self._lock = threading.Lock()

    def seen(self, unit_id: str, ts: float) -> bool:
        """True if this unit already reported `ts`; otherwise remembers it."""
        with self._lock:
            entry = self._recent.get(unit_id)
            if entry is None:
                entry = self._recent[unit_id] = (collections.deque(), set())
            order, stamps = entry
            if ts in stamps:
                return True
            order.append(ts)
            stamps.add(ts)
            if len(order) > self.window:
                stamps.discard(order.popleft())
            return False
