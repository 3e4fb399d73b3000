"""A psn server for the phone tests: started (and restarted on the same port and data dir), recording what
reaches the bus."""

from __future__ import annotations

import threading
from typing import Any

from psn.config import Settings
from psn.events import AckAccepted, AlertAccepted, FixAccepted, StatusAccepted, UnitStatusChanged
from tests.support import RunningServer

SEEN = (FixAccepted, StatusAccepted, AlertAccepted, AckAccepted, UnitStatusChanged)


class Seen:
    """Every event of `SEEN` types, in the order the bus delivered them (inline: the publisher's order)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


def start_server(settings: Settings, seen: Seen) -> RunningServer:
    """psn on `settings` (a second call with the same settings restarts it on the same port and data dir, where
    the board it restores was stored)."""
    running = RunningServer(settings)
    running.server.bus.subscribe("test-seen", seen, SEEN, inline=True)
    return running.start()

