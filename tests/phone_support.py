"""A psn server for the phone tests: started (and restarted on the same port and data dir), recording what
reaches the bus, with a unit's status words applied to the board.

The board subscriber stands in for the one engineer "commands" adds to `Cad.subscribe` (a `StatusAccepted`
becomes `UnitBoard.report_word`); once merged, drop `status_to_board` and `board=True`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from typing import Any

from dispatch import DispatchError
from psn.cad.board import BoardEntry, UnitBoard
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


def status_to_board(board: UnitBoard) -> Any:
    def handle(event: StatusAccepted) -> None:
        report = event.report
        with contextlib.suppress(DispatchError):  # an illegal change: refused by the board, nothing changed
            board.report_word(report.who.id, report.status, report.ts)

    return handle


def start_server(settings: Settings, seen: Seen, board: Iterable[BoardEntry] = ()) -> RunningServer:
    """psn on `settings` (a second call with the same settings restarts it on the same port and data dir)."""
    running = RunningServer(settings)
    running.server.cad.board.restore(board)
    bus = running.server.bus
    bus.subscribe("test-status-board", status_to_board(running.server.cad.board), (StatusAccepted,), inline=True)
    bus.subscribe("test-seen", seen, SEEN, inline=True)
    return running.start()

