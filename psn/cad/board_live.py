"""Every board change to the consoles: a live `unit_status` event `{"entry", "via", "actor"}` to those who may
view the unit; and a unit's entry as consoles see it (`entry_json`)."""

from __future__ import annotations

from typing import Any

from dispatch import UnitState
from psn.cad.audience import viewers_of
from psn.cad.board import UnitBoard
from psn.events import UnitStatusChanged
from psn.live import LiveHub
from psn.sharing import SharingStore


def entry_json(board: UnitBoard, unit: str) -> dict[str, Any]:
    """The unit's board entry; a unit never changed is available, since null."""
    entry = board.get(unit)
    if entry is None:
        return {"unit": unit, "state": UnitState.AVAILABLE.value, "incident": None, "since": None}
    return entry.to_json()


class BoardLive:
    def __init__(self, board: UnitBoard, hub: LiveHub, sharing: SharingStore) -> None:
        self.board = board
        self.hub = hub
        self.sharing = sharing

    def on_change(self, event: UnitStatusChanged) -> None:
        """Inline on the bus: one `notify` (a hand-over to the hub's loop) per change."""
        self.tell(event.unit, event.via, event.actor)

    def tell(self, unit: str, via: str, actor: str) -> None:
        """The unit's entry as the board holds it now, to those who may view the unit (also for a change made on
        another instance)."""
        data = {"entry": entry_json(self.board, unit), "via": via, "actor": actor}
        self.hub.notify("unit_status", data, viewers_of(unit, self.sharing))
