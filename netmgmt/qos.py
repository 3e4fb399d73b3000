"""QoS profiles and priority uplifts, and the network policy document built from them (pure).

A *profile* is what the network gives every unit of an agency by default: the QCI of its default (data) bearer,
the QCIs its video and voice bearers get, and its ARP (TS 23.203 allocation and retention priority: level 1–15,
1 highest; pci = may pre-empt others, pvi = may be pre-empted). An *uplift* raises named units to `UPLIFT_ARP`
(pre-empting, not pre-emptable) from `started` until `until`, unless cancelled first. A unit may be in several
uplifts at once (two incidents' commanders); it stays uplifted until the last of them ends.

`policy_document` is the retained `psn/v1/net/cmd/policy` payload (docs/protocol.md, docs/schemas/net-policy.json).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

# 3GPP TS 23.203 table 6.1.7 (Rel-12+), the public-safety QCIs: resource type, priority level, packet delay
# budget (ms), packet error loss rate, and what they carry.
GBR, NON_GBR = "GBR", "non-GBR"


@dataclass(frozen=True, slots=True)
class Qci:
    qci: int
    resource_type: str
    priority: float
    delay_ms: int
    loss_rate: float
    use: str

    def to_json(self) -> dict[str, Any]:
        return {"qci": self.qci, "resource_type": self.resource_type, "priority": self.priority,
                "delay_ms": self.delay_ms, "loss_rate": self.loss_rate, "use": self.use}


QCIS: dict[int, Qci] = {q.qci: q for q in (
    Qci(65, GBR, 0.7, 75, 1e-2, "mission-critical push-to-talk voice (MCPTT)"),
    Qci(66, GBR, 2.0, 100, 1e-2, "non-mission-critical push-to-talk voice"),
    Qci(67, GBR, 1.5, 100, 1e-3, "mission-critical video"),
    Qci(69, NON_GBR, 0.5, 60, 1e-6, "mission-critical signalling (MCPTT SIP)"),
    Qci(70, NON_GBR, 5.5, 200, 1e-6, "mission-critical data"),
)}
ARP_MIN, ARP_MAX = 1, 15
# Levels kept for uplifts: no standing profile may hold them, so an uplifted unit outranks every default.
UPLIFT_LEVELS = frozenset({1, 2})
UPLIFT_ARP, UPLIFT_PCI, UPLIFT_PVI = 1, True, False
MIN_DURATION_S, MAX_DURATION_S, DEFAULT_DURATION_S = 60.0, 12 * 3600.0, 1800.0
# The units of one uplift: the demo's largest incident has 12; a national response asks for several uplifts. With
# the uplifts in force capped (the setting qos_max_uplifts, 200), the retained policy names at most 20,000 units:
# measured 1.8 MB with ids like `police/P-12345`, 4.1 MB at the longest ids (64/64), built in 20–70 ms; 500 units
# a piece made it 9.2 MB.
MAX_UPLIFT_UNITS = 100
EXPIRED = "expired"
# A unit's video rate: one stream's times its live streams, in the policy's 3 decimals, at most the policy
# schema's 10,000 Mbit/s (docs/schemas/net-policy.json: equipment refuses a document beyond it), which a unit with
# many streams would otherwise pass.
MAX_UNIT_VIDEO_UL_MBPS = 10_000.0
UNIT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}/[A-Za-z0-9_.\-]{1,64}$")  # "agency/unit", the MQTT name parts


class QosError(ValueError):
    """A profile or an uplift refused; the message names the field and the rule."""


@dataclass(frozen=True, slots=True)
class Profile:
    qci: int  # the default bearer's (non-GBR: a default bearer never has a guaranteed rate, TS 23.401)
    video_qci: int  # the GBR bearer the equipment sets up for a unit's live video
    voice_qci: int  # the GBR bearer for push-to-talk voice
    arp: int
    pci: bool
    pvi: bool

    def to_json(self) -> dict[str, Any]:
        return {"qci": self.qci, "video_qci": self.video_qci, "voice_qci": self.voice_qci, "arp": self.arp,
                "pci": self.pci, "pvi": self.pvi}


@dataclass(frozen=True, slots=True)
class Profiles:
    """The default profile of each agency that has its own, and the one for every other unit."""

    agencies: Mapping[str, Profile]
    default: Profile

    def of(self, agency: str) -> Profile:
        return self.agencies.get(agency, self.default)

    def to_json(self) -> dict[str, Any]:
        return {"agencies": {name: self.agencies[name].to_json() for name in sorted(self.agencies)},
                "default": self.default.to_json()}


NATIONAL_DEFAULT = Profile(qci=70, video_qci=67, voice_qci=65, arp=9, pci=False, pvi=True)
# First response (police, fire, ambulance) signals on QCI 69 and outranks the other agencies' default by ARP.
FIRST_RESPONSE = Profile(qci=69, video_qci=67, voice_qci=65, arp=6, pci=False, pvi=True)
FIRST_RESPONSE_AGENCIES = frozenset({"police", "fire", "ems"})


def initial_profiles(agencies: Iterable[str]) -> Profiles:
    """The profiles a new deployment starts with (network admins change them)."""
    return Profiles({a: FIRST_RESPONSE for a in agencies if a in FIRST_RESPONSE_AGENCIES}, NATIONAL_DEFAULT)


def profile_problems(profile: Profile, where: str) -> list[str]:
    """Why `profile` cannot be used (empty when it can); each reason starts with `where` (its field path)."""
    problems = []
    for field, wanted in (("qci", NON_GBR), ("video_qci", GBR), ("voice_qci", GBR)):
        value = getattr(profile, field)
        known = QCIS.get(value)
        if known is None:
            problems.append(f"{where}.{field}: {value} is not a public-safety QCI ({', '.join(map(str, QCIS))})")
        elif known.resource_type != wanted:
            problems.append(f"{where}.{field}: QCI {value} is {known.resource_type}, this bearer needs {wanted}")
    if not ARP_MIN <= profile.arp <= ARP_MAX:
        problems.append(f"{where}.arp: {profile.arp} is outside {ARP_MIN}–{ARP_MAX}")
    elif profile.arp in UPLIFT_LEVELS:
        problems.append(f"{where}.arp: levels {min(UPLIFT_LEVELS)}–{max(UPLIFT_LEVELS)} are reserved for uplifts")
    return problems


def check_profiles(profiles: Profiles, agencies: Iterable[str]) -> None:
    """QosError naming every problem: a bad value, or an agency the deployment does not have."""
    known = set(agencies)
    problems = [f"agencies.{name}: no such agency (the agencies are {', '.join(sorted(known))})"
                for name in sorted(profiles.agencies) if name not in known]
    for name in sorted(profiles.agencies):
        problems += profile_problems(profiles.agencies[name], f"agencies.{name}")
    problems += profile_problems(profiles.default, "default")
    if problems:
        raise QosError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Uplift:
    number: int  # the id's n: "UP-n"
    units: tuple[str, ...]  # "agency/unit", as asked
    incident: str | None  # the incident whose assigned units were asked for, if any
    reason: str
    requested_by: str
    started: float
    until: float
    ended: float | None = None
    end_reason: str | None = None  # "expired" or "cancelled by {who}"

    @property
    def id(self) -> str:
        return f"UP-{self.number}"

    def active(self, now: float) -> bool:
        return self.ended is None and self.started <= now < self.until

    def state(self, now: float) -> str:
        if self.end_reason is not None:
            return EXPIRED if self.end_reason == EXPIRED else "cancelled"
        return "active" if now < self.until else EXPIRED

    def to_json(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "units": list(self.units), "incident": self.incident, "reason": self.reason,
                "requested_by": self.requested_by, "started": self.started, "until": self.until,
                "state": self.state(now), "ended": self.ended, "end_reason": self.end_reason,
                "arp": UPLIFT_ARP, "pci": UPLIFT_PCI, "pvi": UPLIFT_PVI}


def check_uplift(units: Iterable[str], reason: str, duration_s: float,
                 min_duration_s: float = MIN_DURATION_S) -> tuple[str, ...]:
    """The units as asked, or QosError naming what is wrong (no units or too many, a unit twice or malformed, no
    reason, a duration out of bounds: `min_duration_s` up to 12 h)."""
    asked = tuple(units)
    problems = []
    if not asked:
        problems.append("units: no unit to uplift")
    if len(asked) > MAX_UPLIFT_UNITS:
        problems.append(f"units: {len(asked)} units, at most {MAX_UPLIFT_UNITS} in one uplift (ask for several)")
    bad = [u for u in asked if not UNIT_ID.fullmatch(u)]
    if bad:
        problems.append(f"units: not agency/unit: {', '.join(map(repr, bad))}")
    twice = sorted({u for u in asked if asked.count(u) > 1})
    if twice:
        problems.append(f"units: named more than once: {', '.join(twice)}")
    if not reason.strip():
        problems.append("reason: say why the units need priority")
    if not (math.isfinite(duration_s) and min_duration_s <= duration_s <= MAX_DURATION_S):
        problems.append(f"duration_s: {duration_s} is outside {min_duration_s:g}–{MAX_DURATION_S:g} s")
    if problems:
        raise QosError("; ".join(problems))
    return asked


def unit_video_ul_mbps(per_stream_mbps: float, streams: int) -> float:
    return min(round(per_stream_mbps * streams, 3), MAX_UNIT_VIDEO_UL_MBPS)


def agencies_of(units: Iterable[str]) -> frozenset[str]:
    return frozenset(unit.split("/", 1)[0] for unit in units)


def ended(uplift: Uplift, when: float, why: str) -> Uplift:
    """The uplift ended at `when` for `why` ("expired", "cancelled by …"); an ended one stays as it ended."""
    return uplift if uplift.ended is not None else replace(uplift, ended=when, end_reason=why)


def due(uplifts: Iterable[Uplift], now: float) -> list[Uplift]:
    """The uplifts still running whose `until` has come: each ends as expired at its `until`."""
    return [ended(u, u.until, EXPIRED) for u in uplifts if u.ended is None and u.until <= now]


def uplifted_units(uplifts: Iterable[Uplift], now: float) -> dict[str, Uplift]:
    """Each unit uplifted at `now`, with the active uplift of it that ends last (the earliest id on a tie)."""
    found: dict[str, Uplift] = {}
    for uplift in sorted((u for u in uplifts if u.active(now)), key=lambda u: (u.until, -u.number)):
        for unit in uplift.units:
            found[unit] = uplift
    return found


def policy_document(ts: float, seq: int, profiles: Profiles, video_ul_mbps: Mapping[str, float],
                    uplifts: Iterable[Uplift]) -> dict[str, Any]:
    """The whole policy in force at `ts`: the profiles, the video rate of each unit streaming live video, and the
    uplift of each uplifted unit (with the `until` the equipment ends it at by itself)."""
    units: dict[str, dict[str, Any]] = {unit: {"video_ul_mbps": rate} for unit, rate in video_ul_mbps.items()}
    for unit, uplift in uplifted_units(uplifts, ts).items():
        units.setdefault(unit, {}).update(
            {"uplift": uplift.id, "until": uplift.until, "arp": UPLIFT_ARP, "pci": UPLIFT_PCI, "pvi": UPLIFT_PVI})
    return {"ts": ts, "seq": seq, **profiles.to_json(), "units": {unit: units[unit] for unit in sorted(units)}}
