"""Traffic scenario: groups of units (where they are, indoors or in vehicles, which bearers they open)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulator.radio.network import Ues
from simulator.radio.qos import QCI_TABLE, Bearers
from traffic.utm import to_utm

FloatArray = NDArray[np.float64]
DATA = Path(__file__).parent / "data"
DEFAULT_SCENARIO = DATA / "scenario-carnival-hurricane.json"


class ScenarioError(ValueError):
    """The scenario document is malformed; the message says where."""


@dataclass(frozen=True)
class BearerSpec:
    qci: int
    uplink: bool
    rate_mbps: float
    arp: int
    may_preempt: bool
    preemptable: bool


@dataclass(frozen=True)
class Group:
    name: str
    org: str
    count: int
    anchors: FloatArray  # (n, 2) UTM points; one is a point, several are a route or a set of sites
    route: bool  # spread along the polyline rather than around the points
    spread_m: float
    indoor: float
    vehicle: float
    uplift: bool
    bearers: tuple[BearerSpec, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    note: str
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Population:
    ues: Ues
    unit_ids: tuple[str, ...]
    group_of_ue: NDArray[np.int64]
    bearers: Bearers
    uplifted: NDArray[np.int64]  # UE indices with priority uplift


def _get(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None) -> Any:
    v = d.get(key, default)
    if v is None or (isinstance(v, bool) and kind is not bool) or not isinstance(v, kind):
        raise ScenarioError(f"{where}: '{key}' must be {getattr(kind, '__name__', kind)}, got {v!r}")
    return v


def _fraction(d: dict[str, Any], key: str, where: str) -> float:
    v = float(_get(d, key, (int, float), where, 0.0))
    if not 0.0 <= v <= 1.0:
        raise ScenarioError(f"{where}: '{key}' must be between 0 and 1")
    return v


def _bearer(d: Any, where: str) -> BearerSpec:
    if not isinstance(d, dict):
        raise ScenarioError(f"{where}: expected an object")
    qci = _get(d, "qci", int, where)
    if qci not in QCI_TABLE:
        raise ScenarioError(f"{where}: unknown QCI {qci} (known: {sorted(QCI_TABLE)})")
    direction = d.get("direction", "ul")
    if direction not in ("ul", "dl"):
        raise ScenarioError(f"{where}: 'direction' must be 'ul' or 'dl'")
    arp = _get(d, "arp", int, where, 9)
    if not 1 <= arp <= 15:
        raise ScenarioError(f"{where}: 'arp' must be 1..15")
    rate = float(_get(d, "rate_mbps", (int, float), where))
    if not 0 < rate <= 1000:
        raise ScenarioError(f"{where}: 'rate_mbps' must be in (0, 1000]")
    return BearerSpec(qci, direction == "ul", rate, arp, bool(d.get("may_preempt", arp <= 5)),
                      bool(d.get("preemptable", arp > 5)))


def _group(d: Any, i: int) -> Group:
    where = f"groups[{i}]"
    if not isinstance(d, dict):
        raise ScenarioError(f"{where}: expected an object")
    pts = d.get("route") or d.get("points")
    if not isinstance(pts, list) or not pts or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(c, int | float) for c in p) for p in pts
    ):
        raise ScenarioError(f"{where}: needs 'route' or 'points' as a list of [lon, lat]")
    count = _get(d, "count", int, where)
    if not 1 <= count <= 1_000_000:
        raise ScenarioError(f"{where}: 'count' must be 1..1000000")
    raw = _get(d, "bearers", list, where)
    return Group(
        name=_get(d, "name", str, where),
        org=d.get("org", ""),
        count=count,
        anchors=to_utm([p[0] for p in pts], [p[1] for p in pts]),
        route="route" in d,
        spread_m=float(_get(d, "spread_m", (int, float), where, 100.0)),
        indoor=_fraction(d, "indoor", where),
        vehicle=_fraction(d, "vehicle", where),
        uplift=bool(d.get("uplift", False)),
        bearers=tuple(_bearer(b, f"{where}.bearers[{k}]") for k, b in enumerate(raw)),
    )


def parse_scenario(doc: Any) -> Scenario:
    if not isinstance(doc, dict):
        raise ScenarioError("scenario: expected an object")
    groups = doc.get("groups")
    if not isinstance(groups, list) or not groups:
        raise ScenarioError("scenario: 'groups' must be a non-empty list")
    return Scenario(str(doc.get("name", "scenario")), str(doc.get("note", "")),
                    tuple(_group(g, i) for i, g in enumerate(groups)))


def load_scenario(path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    try:
        return parse_scenario(json.loads(Path(path).read_text(encoding="utf-8")))
    except OSError as e:
        raise ScenarioError(f"cannot read scenario {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ScenarioError(f"scenario {path} is not valid JSON: {e}") from e


def _positions(rng: np.random.Generator, g: Group) -> FloatArray:
    a = g.anchors
    if g.route and len(a) > 1:
        seg = np.hypot(*(a[1:] - a[:-1]).T)
        s = rng.uniform(0.0, seg.sum(), g.count)
        k = np.minimum(np.searchsorted(np.cumsum(seg), s), len(seg) - 1)
        t = (s - (np.cumsum(seg) - seg)[k]) / np.maximum(seg[k], 1e-9)
        base = a[k] + (a[k + 1] - a[k]) * t[:, None]
    else:
        base = a[rng.integers(0, len(a), g.count)]
    return base + rng.normal(0.0, g.spread_m, (g.count, 2))


def populate(rng: np.random.Generator, sc: Scenario, extra_height_m: float = 0.0) -> Population:
    xy, indoor, vehicle, gid = [], [], [], []
    ids: list[str] = []
    for i, g in enumerate(sc.groups):
        xy.append(_positions(rng, g))
        u = rng.random(g.count)
        indoor.append(u < g.indoor)
        vehicle.append((u >= g.indoor) & (u < g.indoor + g.vehicle))
        gid.append(np.full(g.count, i))
        ids.extend(f"{g.name}-{k + 1:03d}" for k in range(g.count))
    group_of_ue = np.concatenate(gid)
    ues = Ues(np.vstack(xy), np.full(len(group_of_ue), 1.5 + extra_height_m), np.concatenate(indoor),
              np.concatenate(vehicle))
    cols: dict[str, list[NDArray[Any]]] = {k: [] for k in ("ue", "qci", "uplink", "rate", "arp", "mp", "pe",
                                                            "seq")}
    for i, g in enumerate(sc.groups):
        members = np.flatnonzero(group_of_ue == i)
        for b in g.bearers:
            # a group's bearers are established together; groups in file order
            for key, value in (("qci", b.qci), ("uplink", b.uplink), ("rate", b.rate_mbps * 1e6),
                               ("arp", b.arp), ("mp", b.may_preempt), ("pe", b.preemptable), ("seq", i)):
                cols[key].append(np.full(len(members), value))
            cols["ue"].append(members)
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}
    bearers = Bearers(
        ue=cat["ue"].astype(np.int64),
        qci=cat["qci"].astype(np.int64),
        uplink=cat["uplink"].astype(bool),
        rate_bps=cat["rate"].astype(float),
        arp=cat["arp"].astype(np.int64),
        may_preempt=cat["mp"].astype(bool),
        preemptable=cat["pe"].astype(bool),
        seq=cat["seq"].astype(np.int64),
    )
    lifted = np.flatnonzero(np.isin(group_of_ue, [i for i, g in enumerate(sc.groups) if g.uplift]))
    return Population(ues, tuple(ids), group_of_ue, bearers, lifted)
