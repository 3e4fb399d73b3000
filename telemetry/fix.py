"""The typed results every decoder returns: a position fix, a status report, an alert, a command's acknowledgement,
a cell's KPIs, a unit's radio link, a probe vehicle's position, or a rejection."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UnitRef:
    """Who a message speaks for. `bound` is False for a device not yet bound to a unit by an operator."""

    agency: str
    unit: str
    bound: bool = True

    @property
    def id(self) -> str:
        return f"{self.agency}/{self.unit}"


@dataclass(frozen=True, slots=True)
class Fix:
    """One position report, normalised to SI units (m, m/s, degrees clockwise from north, epoch seconds)."""

    who: UnitRef
    ts: float
    lat: float
    lon: float
    alt: float | None = None
    speed: float | None = None
    heading: float | None = None
    accuracy: float | None = None
    battery: float | None = None
    source: str = "psn/v1"


@dataclass(frozen=True, slots=True)
class StatusReport:
    who: UnitRef
    ts: float
    status: str
    source: str = "psn/v1"


@dataclass(frozen=True, slots=True)
class Alert:
    """A unit's alert: its emergency button (`type` "emergency"), officer down, a geofence crossing …"""

    who: UnitRef
    ts: float
    type: str
    lat: float | None = None
    lon: float | None = None
    note: str | None = None
    source: str = "psn/v1"


@dataclass(frozen=True, slots=True)
class Ack:
    """A unit's answer (`accepted`, `rejected`, `done`) to the command psn sent it with id `ref`."""

    who: UnitRef
    ts: float
    ref: str
    result: str
    note: str | None = None
    source: str = "psn/v1"


class Reason(enum.StrEnum):
    """Why a message was refused; each is counted separately (stats, /metrics)."""

    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    BAD_FIELD = "bad_field"
    OUT_OF_RANGE = "out_of_range"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    FUTURE_TIMESTAMP = "future_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    OVERSIZED = "oversized"
    UNKNOWN_AGENCY = "unknown_agency"
    BAD_TOPIC = "bad_topic"
    UNSUPPORTED_TYPE = "unsupported_type"
    DUPLICATE = "duplicate"  # the unit already reported this timestamp (replay or redelivery)


@dataclass(frozen=True, slots=True)
class CellKpi:
    """One cell's key performance indicators over its last reporting interval (uplink and downlink)."""

    cell: str
    ts: float
    connected_ues: int
    prb_util_dl: float
    prb_util_ul: float
    thr_dl_mbps: float
    thr_ul_mbps: float
    mean_dl_sinr_db: float | None
    bearers_rejected: int
    bearers_preempted: int
    source: str = "net"


@dataclass(frozen=True, slots=True)
class LinkReport:
    """How the network serves one unit over its last reporting interval (psn/v1/net/ue/{agency}/{unit}/link).
    `cell` is None when the unit is out of coverage; rates in Mbit/s, RSRP dBm, SINR dB."""

    who: UnitRef
    ts: float
    cell: str | None
    rsrp_dbm: float | None
    sinr_db: float | None
    ul_mbps: float
    dl_mbps: float
    arp: int | None = None  # the allocation and retention priority in force (1 highest … 15)
    uplifted: bool = False  # an uplift psn asked for is applied
    source: str = "net"


@dataclass(frozen=True, slots=True)
class ProbeFix:
    """One probe position, normalised as a unit's fix (epoch s, degrees, m/s, degrees clockwise from north)."""

    source: str
    vehicle: str  # the source's pseudonym: never a plate or a person
    ts: float
    lat: float
    lon: float
    speed: float | None = None
    heading: float | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: Reason
    detail: str
    who: UnitRef | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed message that carries nothing for us (e.g. OwnTracks `_type: "waypoint"`), not an error."""

    detail: str


Decoded = Fix | StatusReport | Alert | Ack | CellKpi | LinkReport | ProbeFix | Rejection | Ignored
