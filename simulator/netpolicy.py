"""What psn tells the simulated network equipment: its retained QoS policy and trainers' fault commands.

Pure parsers of the documents on `NET_POLICY_TOPIC` and `NET_FAULT_TOPIC` (docs/protocol.md), and of the
`--faults` schedule file. A malformed document raises `NetDocumentError` naming the place of the error; the
equipment keeps what it had.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulator.radio.qos import QCI_TABLE

FaultKind = Literal["cell_down", "site_down", "backhaul"]
FAULT_KINDS: tuple[FaultKind, ...] = ("cell_down", "site_down", "backhaul")
# psn asks up to this per unit (its qos_video_ul_mbps setting, docs/schemas/net-policy.json); a rate no cell can
# carry is refused at admission, never by refusing the whole document (and every uplift in it).
MAX_VIDEO_MBPS = 10_000.0


class NetDocumentError(ValueError):
    """A policy, fault or fault schedule document is malformed; the message says where."""


@dataclass(frozen=True)
class Profile:
    """An agency's default bearer settings (TS 23.203: QCI, ARP level, pre-emption capability/vulnerability)."""

    qci: int = 70
    video_qci: int = 67
    voice_qci: int = 65
    arp: int = 9
    pci: bool = False
    pvi: bool = True


@dataclass(frozen=True)
class UnitPolicy:
    video_ul_mbps: float | None = None  # psn knows the unit streams live video at this rate
    uplift: str | None = None  # the uplift's id while one is in force
    until: float | None = None  # epoch s: the uplift ends by itself then


@dataclass(frozen=True)
class Policy:
    ts: float = 0.0
    seq: int = 0
    agencies: dict[str, Profile] = field(default_factory=dict)
    default: Profile = Profile()  # before psn says anything: the contract's example default
    units: dict[str, UnitPolicy] = field(default_factory=dict)  # by "agency/unit"

    def profile(self, agency: str) -> Profile:
        return self.agencies.get(agency, self.default)

    def uplifted(self, unit_id: str, now: float) -> bool:
        u = self.units.get(unit_id)
        return u is not None and u.uplift is not None and (u.until is None or now < u.until)


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    target: str  # a cell id (cell_down, backhaul) or a site id (site_down)
    inject: bool  # False: clear it
    duration_s: float | None = None
    capacity: float = 1.0  # backhaul: the fraction of throughput left


def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise NetDocumentError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _num(d: dict[str, Any], key: str, where: str, lo: float, hi: float, default: float | None = None) -> float:
    v = d.get(key)
    if v is None:
        if default is None:
            raise NetDocumentError(f"{where}: '{key}' is required")
        return float(default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise NetDocumentError(f"{where}: '{key}' must be a number, got {json.dumps(v)[:40]}")
    if not lo <= v <= hi:
        raise NetDocumentError(f"{where}: '{key}' = {v} is outside {lo:g}..{hi:g}")
    return float(v)


def _qci(d: dict[str, Any], key: str, where: str, default: int) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v not in QCI_TABLE:
        raise NetDocumentError(f"{where}: '{key}' must be a known QCI ({sorted(QCI_TABLE)}), got {v!r}")
    return v


def _flag(d: dict[str, Any], key: str, where: str, default: bool) -> bool:
    v = d.get(key, default)
    if not isinstance(v, bool):
        raise NetDocumentError(f"{where}: '{key}' must be true or false")
    return v


def _profile(v: Any, where: str) -> Profile:
    d, base = _obj(v, where), Profile()
    arp = _num(d, "arp", where, 1, 15, base.arp)
    if not arp.is_integer():
        raise NetDocumentError(f"{where}: 'arp' must be a whole number")
    return Profile(_qci(d, "qci", where, base.qci), _qci(d, "video_qci", where, base.video_qci),
                   _qci(d, "voice_qci", where, base.voice_qci), int(arp), _flag(d, "pci", where, base.pci),
                   _flag(d, "pvi", where, base.pvi))


def _unit(v: Any, where: str) -> UnitPolicy:
    d = _obj(v, where)
    video = d.get("video_ul_mbps")
    uplift = d.get("uplift")
    if uplift is not None and not (isinstance(uplift, str) and uplift):
        raise NetDocumentError(f"{where}: 'uplift' must be the uplift's id")
    return UnitPolicy(
        video_ul_mbps=None if video is None else _num(d, "video_ul_mbps", where, 0.001, MAX_VIDEO_MBPS),
        uplift=uplift,
        until=None if uplift is None else _num(d, "until", where, 0, 1e11),
    )


def json_document(payload: bytes, what: str) -> Any:
    """The JSON value of an MQTT payload, or NetDocumentError saying it is not JSON."""
    try:
        return json.loads(payload)
    except ValueError as e:  # JSONDecodeError, or bytes that are not UTF-8
        raise NetDocumentError(f"{what} is not valid JSON: {e}") from None
    except RecursionError:  # e.g. 100,000 "[": the parser's stack ends first; it ended `psn sim network`
        raise NetDocumentError(f"{what} is not valid JSON: nested too deeply") from None


def parse_policy(doc: Any) -> Policy:
    d = _obj(doc, "policy")
    agencies = _obj(d.get("agencies", {}), "policy.agencies")
    units = _obj(d.get("units", {}), "policy.units")
    seq = _num(d, "seq", "policy", 0, 2**53, 0)
    return Policy(
        ts=_num(d, "ts", "policy", 0, 1e11, 0),
        seq=int(seq),
        agencies={str(k): _profile(v, f"policy.agencies.{k}") for k, v in agencies.items()},
        default=_profile(d.get("default", {}), "policy.default"),
        units={str(k): _unit(v, f"policy.units.{k}") for k, v in units.items()},
    )


def parse_fault(doc: Any, where: str = "fault") -> Fault:
    d = _obj(doc, where)
    kind, target, action = d.get("fault"), d.get("target"), d.get("action", "inject")
    if kind not in FAULT_KINDS:
        raise NetDocumentError(f"{where}: 'fault' must be one of {', '.join(FAULT_KINDS)}, got {kind!r:.40}")
    if not isinstance(target, str) or not target:
        raise NetDocumentError(f"{where}: 'target' must be a cell or site id")
    if action not in ("inject", "clear"):
        raise NetDocumentError(f"{where}: 'action' must be inject or clear, got {action!r:.40}")
    duration = d.get("duration_s")
    return Fault(
        kind=kind,
        target=target,
        inject=action == "inject",
        duration_s=None if duration is None else _num(d, "duration_s", where, 0.001, 1e7),
        capacity=_num(d, "capacity", where, 0.0, 1.0, 1.0 if kind != "backhaul" or action == "clear" else None),
    )


def parse_fault_schedule(doc: Any) -> list[tuple[float, Fault]]:
    """A JSON list of fault documents, each with `at_s` (seconds after the equipment starts), in time order."""
    if not isinstance(doc, list):
        raise NetDocumentError("faults: expected a list of fault objects")
    out = [(_num(_obj(f, f"faults[{i}]"), "at_s", f"faults[{i}]", 0, 1e7), parse_fault(f, f"faults[{i}]"))
           for i, f in enumerate(doc)]
    return sorted(out, key=lambda p: p[0])


def load_fault_schedule(path: str | Path) -> list[tuple[float, Fault]]:
    try:
        text = Path(path).read_bytes()
    except OSError as e:
        raise NetDocumentError(f"cannot read faults {path}: {e.strerror}") from e
    return parse_fault_schedule(json_document(text, f"faults {path}"))
