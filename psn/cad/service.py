"""`Cad`: the dispatch shell's pieces built from the server's, subscribed to the bus, started and stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from psn.audit import AuditLog
from psn.bus import Bus
from psn.cad.alerts import Alerts
from psn.cad.board import UnitBoard
from psn.cad.board_live import BoardLive
from psn.cad.board_store import BoardStore
from psn.cad.command_store import CommandStore
from psn.cad.commands import Commands
from psn.cad.crew import Crew
from psn.cad.geofences import Geofences
from psn.cad.incidents import IncidentBook
from psn.cad.messages import Messages
from psn.cad.recommendation import Recommender
from psn.cad.status_words import StatusWords
from psn.clock import Clock
from psn.config import Settings
from psn.events import AckAccepted, AlertAccepted, FixAccepted, StatusAccepted, UnitStatusChanged
from psn.keys import LiveKeyring
from psn.live import LiveHub
from psn.roads import RoadModel
from psn.security_events import SecurityEvent
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import Database
from traffic.graph import FloatArray

Publish = Callable[[str, bytes, int], None]
LiveSpeeds = Callable[[], FloatArray | None]
ReportSecurity = Callable[..., SecurityEvent]  # SecurityFeed.report(kind, actor, /, **detail)


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
    report_security: ReportSecurity  # server.security.report (a forged ack …)
    roads: RoadModel = field(default_factory=RoadModel)  # the road graph dispatch routes on (shared with traffic)
    live_speeds: LiveSpeeds = lambda: None  # measured speeds per edge for ETAs, None when traffic has none


class Cad:
    def __init__(self, ctx: CadContext) -> None:
        self.ctx = ctx
        self.board = UnitBoard(ctx.bus)
        self.crew = Crew()
        self.incidents = IncidentBook(ctx)
        self.recommender = Recommender(ctx.state, self.board, ctx.roads, ctx.live_speeds)
        self.board_store = BoardStore(ctx.db, self.board)
        self.board_live = BoardLive(self.board, ctx.hub, ctx.sharing)
        self.commands = Commands(ctx, self.crew, CommandStore(ctx.db, ctx.keys))
        self.status_words = StatusWords(self.board, ctx.clock, ctx.hub, ctx.sharing, ctx.stats)
        self.alerts = Alerts(ctx)
        self.geofences = Geofences(ctx)
        self.messages = Messages(ctx, self.commands.send, owner_of=self.incidents.owner_of,
                                 incident_of=lambda unit: self.board.state(unit)[1])

    def load(self) -> None:
        """Reads what is stored (after the schema is migrated), before the bus starts delivering."""
        self.incidents.load()
        self.board_store.load()
        self.commands.load()
        self.alerts.load()
        self.geofences.load()

    def subscribe(self, bus: Bus) -> None:
        """Subscribes the shell's consumers (before the bus starts)."""
        self.incidents.subscribe(bus)
        bus.subscribe("cad-status-words", self.status_words.on_status, (StatusAccepted,))
        bus.subscribe("cad-board-store", self.board_store.on_change, (UnitStatusChanged,))
        bus.subscribe("cad-board-live", self.board_live.on_change, (UnitStatusChanged,), inline=True)
        bus.subscribe("cad-acks", self.commands.on_ack, (AckAccepted,))
        # Queued, each on its own thread: an alert never waits behind fixes, and the geofence test of 5,000
        # fixes a second never holds up the MQTT thread.
        bus.subscribe("cad-alerts", self.alerts.on_alert, (AlertAccepted,))
        bus.subscribe("cad-geofences", self.geofences.on_fix, (FixAccepted,))

    async def start(self) -> None:
        """Starts timers (command resends …) once the live hub and the MQTT client run."""
        await self.commands.start()

    async def stop(self) -> None:
        """Stops timers, first of all: the server stops MQTT, the hub, the bus and the store after this."""
        await self.commands.stop()
