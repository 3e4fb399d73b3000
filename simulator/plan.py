"""Network plan: sites, sectors and band, parsed from a JSON document into arrays the radio core uses."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from simulator.radio.antenna import SectorAntenna
from simulator.radio.cells import Cells
from traffic.utm import to_utm

Environment = Literal["rma", "uma"]
DEFAULT_PLAN = Path(__file__).parent / "data" / "belize-band14-plan.json"


class PlanError(ValueError):
    """The plan document is malformed; the message says where."""


@dataclass(frozen=True)
class Band:
    name: str = "LTE Band 14"
    rat: Literal["LTE", "NR"] = "LTE"
    dl_mhz: float = 763.0
    ul_mhz: float = 793.0
    bandwidth_mhz: float = 10.0
    prbs: int = 50
    scs_khz: float = 15.0


@dataclass(frozen=True)
class Sector:
    id: str
    azimuth_deg: float
    tilt_deg: float
    power_dbm: float


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    lon: float
    lat: float
    height_m: float
    environment: Environment
    sectors: tuple[Sector, ...]


@dataclass(frozen=True)
class NetworkPlan:
    name: str
    note: str
    band: Band
    sites: tuple[Site, ...]
    antenna: SectorAntenna = field(default_factory=SectorAntenna)

    def cells(self) -> Cells:
        rows = [(i, s, c) for i, s in enumerate(self.sites) for c in s.sectors]
        xy = to_utm([s.lon for _, s, _ in rows], [s.lat for _, s, _ in rows])
        return Cells(
            ids=tuple(c.id for _, _, c in rows),
            site_index=np.array([i for i, _, _ in rows], dtype=np.int64),
            xy=xy,
            height_m=np.array([s.height_m for _, s, _ in rows]),
            azimuth_deg=np.array([c.azimuth_deg for _, _, c in rows]),
            tilt_deg=np.array([c.tilt_deg for _, _, c in rows]),
            power_dbm=np.array([c.power_dbm for _, _, c in rows]),
            urban=np.array([s.environment == "uma" for _, s, _ in rows]),
        )


def _num(obj: dict[str, Any], key: str, where: str, lo: float, hi: float, default: float | None = None) -> float:
    if key not in obj:
        if default is None:
            raise PlanError(f"{where}: missing '{key}'")
        return default
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise PlanError(f"{where}: '{key}' must be a number, got {v!r}")
    if not lo <= v <= hi:
        raise PlanError(f"{where}: '{key}' = {v} is outside {lo}..{hi}")
    return float(v)


def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise PlanError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _str(obj: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    v = obj.get(key, default)
    if not isinstance(v, str) or not v:
        raise PlanError(f"{where}: '{key}' must be a non-empty string")
    return v


def _band(d: dict[str, Any]) -> Band:
    rat = d.get("rat", "LTE")
    if rat not in ("LTE", "NR"):
        raise PlanError(f"band: 'rat' must be LTE or NR, got {rat!r}")
    prbs = _num(d, "prbs", "band", 6, 275, 50)
    if prbs != int(prbs):
        raise PlanError("band: 'prbs' must be an integer")
    scs = _num(d, "scs_khz", "band", 15, 60, 15)
    if scs not in ((15.0,) if rat == "LTE" else (15.0, 30.0, 60.0)):
        raise PlanError(f"band: 'scs_khz' = {scs:g} is not a {rat} subcarrier spacing")
    return Band(
        name=_str(d, "name", "band", "LTE Band 14"),
        scs_khz=scs,
        rat=rat,
        dl_mhz=_num(d, "dl_mhz", "band", 400, 7125, 763),
        ul_mhz=_num(d, "ul_mhz", "band", 400, 7125, 793),
        bandwidth_mhz=_num(d, "bandwidth_mhz", "band", 1.4, 100, 10),
        prbs=int(prbs),
    )


def _site(d: dict[str, Any], i: int, defaults: dict[str, Any]) -> Site:
    where = f"sites[{i}]"
    sid = _str(d, "id", where)
    env = d.get("environment", defaults.get("environment", "rma"))
    if env not in ("rma", "uma"):
        raise PlanError(f"{where}: 'environment' must be 'rma' or 'uma', got {env!r}")
    raw = d.get("sectors", [{"azimuth_deg": a} for a in (0.0, 120.0, 240.0)])
    if not isinstance(raw, list) or not raw:
        raise PlanError(f"{where}: 'sectors' must be a non-empty list")
    sectors = []
    for k, s in enumerate(raw):
        sw = f"{where}.sectors[{k}]"
        s = _obj(s, sw)
        sectors.append(Sector(
            id=f"{sid}-{k + 1}",
            azimuth_deg=_num(s, "azimuth_deg", sw, 0, 360),
            tilt_deg=_num(s, "tilt_deg", sw, -10, 30, _num(defaults, "tilt_deg", "defaults", -10, 30, 3)),
            power_dbm=_num(s, "power_dbm", sw, 0, 60, _num(defaults, "power_dbm", "defaults", 0, 60, 46)),
        ))
    return Site(
        id=sid,
        name=_str(d, "name", where, sid),
        lon=_num(d, "lon", where, -180, 180),
        lat=_num(d, "lat", where, -90, 90),
        height_m=_num(d, "height_m", where, 1, 300, _num(defaults, "height_m", "defaults", 1, 300, 30)),
        environment=env,
        sectors=tuple(sectors),
    )


def parse_plan(doc: Any) -> NetworkPlan:
    d = _obj(doc, "plan")
    defaults = _obj(d.get("defaults", {}), "defaults")
    raw_sites = d.get("sites")
    if not isinstance(raw_sites, list) or not raw_sites:
        raise PlanError("plan: 'sites' must be a non-empty list")
    sites = tuple(_site(_obj(s, f"sites[{i}]"), i, defaults) for i, s in enumerate(raw_sites))
    seen: set[str] = set()
    for s in sites:
        if s.id in seen:
            raise PlanError(f"plan: duplicate site id {s.id!r}")
        seen.add(s.id)
    a = _obj(d.get("antenna", {}), "antenna")
    antenna = SectorAntenna(
        hpbw_h_deg=_num(a, "hpbw_h_deg", "antenna", 10, 360, 65),
        hpbw_v_deg=_num(a, "hpbw_v_deg", "antenna", 2, 90, 10),
        front_back_db=_num(a, "front_back_db", "antenna", 10, 40, 25),
        side_lobe_v_db=_num(a, "side_lobe_v_db", "antenna", 10, 40, 20),
        gain_dbi=_num(a, "gain_dbi", "antenna", 0, 25, 15),
    )
    return NetworkPlan(
        name=_str(d, "name", "plan", "unnamed plan"),
        note=str(d.get("note", "")),
        band=_band(_obj(d.get("band", {}), "band")),
        sites=sites,
        antenna=antenna,
    )


def load_plan(path: str | Path = DEFAULT_PLAN) -> NetworkPlan:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise PlanError(f"cannot read plan {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise PlanError(f"plan {path} is not valid JSON: {e}") from e
    return parse_plan(doc)
