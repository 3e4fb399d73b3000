"""The typed events psn publishes on its bus, and the receipt a durable subscriber resolves.

Events are frozen: every subscriber receives the same object, so none may change what another sees.
New capabilities add their own event types here (incidents, alarms …) and subscribe to the ones they need.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from dispatch import StatusChange
from psn.security_events import SecurityEvent
from telemetry import Ack, Alert, CellKpi, Fix, Ignored, LinkReport, ProbeFix, Rejection, StatusReport


class Receipt:
    """One message's durable handling: done when every durable subscriber that took its event has committed
    it, or at once when none did. The MQTT adapter can hold the broker's acknowledgement until then
    (at-least-once delivery) without making any other subscriber wait for the database."""

    __slots__ = ("_done", "_lock", "_pending", "failed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._pending = 0
        self.failed = False  # a durable subscriber gave up (shutdown with the database down): do not acknowledge

    def expect(self, count: int) -> None:
        """Called by the bus before delivery, so a fast resolver can never count below zero."""
        with self._lock:
            self._pending += count
            if self._pending <= 0:
                self._done.set()

    def resolve(self, ok: bool = True) -> None:
        with self._lock:
            self.failed = self.failed or not ok
            self._pending -= 1
            if self._pending <= 0:
                self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


@dataclass(frozen=True, slots=True)
class FixAccepted:
    fix: Fix
    received: float  # server time the message arrived (epoch seconds)
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class StatusAccepted:
    report: StatusReport
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class AlertAccepted:
    """A unit's alert (the emergency button …): psn.cad.alerts pushes it to the consoles allowed to see the unit and
    stores it."""

    alert: Alert
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class AckAccepted:
    """A unit's answer to a command: psn.cad.commands matches it to its command (forged and duplicate acks refused)."""

    ack: Ack
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class KpiAccepted:
    """A cell's KPI report (psn/v1/net/cell/{cell}/kpi): psn.net.kpis keeps the latest per cell and hands it to
    the KPI time series store, which drops (and counts) rather than hold up ingest when the database falls far
    behind. No durable subscriber takes these, so their receipts are done at once."""

    kpi: CellKpi
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class LinkAccepted:
    """A unit's radio link report from the network (psn/v1/net/ue/{agency}/{unit}/link): network management keeps
    the latest per unit, the alarms watch it for a unit out of coverage."""

    link: LinkReport
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class ProbeAccepted:
    """An anonymous probe vehicle's position (psn/v1/probes/{source}): only traffic analytics take it; it is
    never stored, never on the live map, never audited (docs/traffic.md, probe privacy)."""

    probe: ProbeFix
    received: float
    receipt: Receipt | None = None


@dataclass(frozen=True, slots=True)
class FixReplayed:
    """A fix whose unit already reported its timestamp: counted, never stored. `redelivered`: the broker marked
    it as a second copy (MQTT DUP: psn's acknowledgement of the first was lost in a reconnect), not a replay."""

    topic: str
    fix: Fix
    redelivered: bool = False


@dataclass(frozen=True, slots=True)
class MessageRejected:
    """What operators see on `psn/v1/_rejected/{reason}/{original topic}`."""

    topic: str
    payload: bytes
    rejection: Rejection


@dataclass(frozen=True, slots=True)
class MessageIgnored:
    topic: str
    ignored: Ignored


@dataclass(frozen=True, slots=True)
class SecurityRaised:
    event: SecurityEvent


@dataclass(frozen=True, slots=True)
class StreamStarted:
    stream: str
    unit: str  # `{agency}/{unit}` of the publisher
    origin: str | None = None  # the psn instance that holds the stream; None: this one


@dataclass(frozen=True, slots=True)
class StreamEnded:
    stream: str
    unit: str
    origin: str | None = None  # the psn instance that holds the stream; None: this one



@dataclass(frozen=True, slots=True)
class UnitStatusChanged:
    """A unit's dispatch state changed (psn.cad.board): from the console, the officer's phone or the unit's own
    MQTT `status` word. Incidents subscribe to put it on the timeline; the KPIs time the response from it."""

    unit: str  # "agency/unit"
    change: StatusChange  # ts, before, after
    incident: str | None  # the incident the unit is on after (or, when it clears, was on before) the change
    actor: str  # a user name, or the unit id for its own report
    via: str  # "console", "phone" or "mqtt"
