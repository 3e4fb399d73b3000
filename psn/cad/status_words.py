"""A unit's own status word (`psn/v1/{agency}/{unit}/status`, however it came in) onto the board.

An illegal change the word asks for (`arrived` while available) is refused: nothing changes, the refusal is
counted by reason (`psn_cad_status_refused_total{reason}`), logged at most once a minute, and the unit's
dispatchers get a live `unit_status` event with `"refused"`: they see the unit's crew and the board disagree.
"""

from __future__ import annotations

import logging
import threading

from prometheus_client import Counter

from dispatch import DispatchError
from psn.cad.audience import dispatchers_of
from psn.cad.board import UnitBoard
from psn.cad.board_live import entry_json
from psn.clock import Clock
from psn.events import StatusAccepted
from psn.live import LiveHub
from psn.sharing import SharingStore
from psn.stats import IngestStats

log = logging.getLogger(__name__)
LOG_EVERY_S = 60.0  # a unit stuck repeating an illegal word would otherwise log a line per message


class StatusWords:
    def __init__(self, board: UnitBoard, clock: Clock, hub: LiveHub, sharing: SharingStore,
                 stats: IngestStats) -> None:
        self.board = board
        self.clock = clock
        self.hub = hub
        self.sharing = sharing
        self.refused = Counter("psn_cad_status_refused", "Unit status words refused by the board, by reason",
                               ["reason"], registry=stats.registry)
        self._lock = threading.Lock()
        self._logged_at = -LOG_EVERY_S
        self._unlogged = 0

    def on_status(self, event: StatusAccepted) -> None:
        unit, word = event.report.who.id, event.report.status
        try:
            self.board.report_word(unit, word, event.report.ts)
        except DispatchError as exc:
            self.refused.labels(exc.reason.value).inc()
            self._log(unit, word, exc)
            data = {"entry": entry_json(self.board, unit), "refused": exc.reason.value, "detail": exc.detail,
                    "word": word, "via": "mqtt", "actor": unit}
            self.hub.notify("unit_status", data, dispatchers_of(unit, self.sharing))

    def _log(self, unit: str, word: str, exc: DispatchError) -> None:
        now = self.clock.time()
        with self._lock:
            if now - self._logged_at < LOG_EVERY_S:
                self._unlogged += 1
                return
            self._logged_at, unlogged, self._unlogged = now, self._unlogged, 0
        log.warning("status word %r of %s refused: %s (%d more refused since the last report)",
                    word, unit, exc.detail, unlogged)
