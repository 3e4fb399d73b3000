"""Spots replayed telemetry: the same unit reporting the same timestamp twice.

A unit never legitimately sends two fixes stamped with the same instant; a captured message sent again does.
(MQTT QoS 1 may redeliver after a reconnect — that also lands here, is not stored twice, and is counted; the
security event is what tells an operator to look.) Memory is bounded: the last `window` stamps per unit.
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
