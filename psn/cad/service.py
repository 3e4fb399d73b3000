"""`Cad`: the dispatch shell's pieces built from the server's, subscribed to the bus, started and stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psn.audit import AuditLog
from psn.bus import Bus
from psn.cad.board import UnitBoard
from psn.cad.crew import Crew
from psn.cad.incidents import IncidentBook
from psn.cad.recommendation import Recommender
from psn.clock import Clock
from psn.config import Settings
from psn.keys import LiveKeyring
from psn.live import LiveHub
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import Database

Publish = Callable[[str, bytes, int], None]


@dataclass(frozen=True)
class CadContext:
    """What the dispatch shell uses of the server."""

    settings: Settings
    clock: Clock
    db: Database
    keys: LiveKeyring | None  # None when encryption at rest is off: then text is stored in clear
    bus: Bus
    audit: AuditLog
    sharing: SharingStore
    state: LiveState
    hub: LiveHub
    stats: IngestStats
    publish: Publish  # MQTT publish (topic, payload, qos); a no-op until the client is connected


class Cad:
    def __init__(self, ctx: CadContext) -> None:
        self.ctx = ctx
        self.board = UnitBoard(ctx.bus)
        self.crew = Crew()
        self.incidents = IncidentBook(ctx)
        self.recommender = Recommender(ctx.state, self.board)

    def load(self) -> None:
        """Reads what is stored (after the schema is migrated), before the bus starts delivering."""
        self.incidents.load()

    def subscribe(self, bus: Bus) -> None:
        """Subscribes the shell's consumers (before the bus starts)."""
        self.incidents.subscribe(bus)

    async def start(self) -> None:
        """Starts timers (command resends …) once the live hub runs."""

    async def stop(self) -> None:
        """Stops timers; the server stops the bus and the store after this."""
