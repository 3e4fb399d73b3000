"""Every board change to the consoles: a live `unit_status` event `{"entry", "via", "actor"}` to those who may
view the unit."""

from __future__ import annotations

from psn.cad.audience import viewers_of
from psn.cad.board import UnitBoard
from psn.events import UnitStatusChanged
from psn.live import LiveHub
from psn.sharing import SharingStore


class BoardLive:
    def __init__(self, board: UnitBoard, hub: LiveHub, sharing: SharingStore) -> None:
        self.board = board
        self.hub = hub
        self.sharing = sharing

    def on_change(self, event: UnitStatusChanged) -> None:
        """Inline on the bus: one `notify` (a hand-over to the hub's loop) per change."""
        entry = self.board.get(event.unit)
        if entry is None:
            return
        self.hub.notify("unit_status", {"entry": entry.to_json(), "via": event.via, "actor": event.actor},
                        viewers_of(event.unit, self.sharing))
