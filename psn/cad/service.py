"""`Cad`: the dispatch shell's pieces built from the server's, subscribed to the bus, started and stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psn.audit import AuditLog
from psn.bus import Bus
from psn.cad.alerts import Alerts
from psn.cad.board import UnitBoard
from psn.cad.crew import Crew
from psn.cad.geofences import Geofences
from psn.cad.messages import Messages
from psn.clock import Clock
from psn.config import Settings
from psn.events import AlertAccepted, FixAccepted
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
        self.alerts = Alerts(ctx)
        self.geofences = Geofences(ctx)
        # The merger: `owner_of=lambda i: self.incidents.owner_of(i)`, and drop the type: ignore once
        # `self.commands` (engineer "commands") exists.
        self.messages = Messages(ctx, lambda *a, **k: self.commands.send(*a, **k),  # type: ignore[attr-defined]
                                 owner_of=self._share_owner, incident_of=lambda unit: self.board.state(unit)[1])

    def _share_owner(self, incident: str) -> str | None:
        return next((s.owner for s in self.ctx.sharing.snapshot.incidents if s.incident == incident), None)

    def load(self) -> None:
        """Reads what is stored (after the schema is migrated), before the bus starts delivering."""
        self.alerts.load()
        self.geofences.load()

    def subscribe(self, bus: Bus) -> None:
        """Subscribes the shell's consumers (before the bus starts)."""
        # Queued, each on its own thread: an alert never waits behind fixes, and the geofence test of 5,000
        # fixes a second never holds up the MQTT thread.
        bus.subscribe("cad-alerts", self.alerts.on_alert, (AlertAccepted,))
        bus.subscribe("cad-geofences", self.geofences.on_fix, (FixAccepted,))

    async def start(self) -> None:
        """Starts timers (command resends …) once the live hub runs."""

    async def stop(self) -> None:
        """Stops timers; the server stops the bus and the store after this."""
