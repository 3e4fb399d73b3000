"""Simulated LTE network equipment, the pure core of `psn sim network`: messages in, KPIs and link reports out.

It learns what a real network would see from the broker: where each unit is (its fixes, `receive`), psn's
retained QoS policy and trainers' faults. `step(now)` then computes one period of the radio network with the
simulator's models: path gains of the attached units on the plan's cells (cached per unit until it moves more
than `move_m`; one shadowing field for the whole run, so a place keeps its shadowing), cell selection with a
floor on RSRP (below it, or with every nearby cell down, a unit is out of coverage), bearers from the policy
(a non-GBR data bearer each way per unit, a GBR uplink video bearer while psn says the unit streams, the
priority uplift of `qos.uplift` until the uplift's `until`), background UEs from a scenario, GBR admission
with pre-emption and one scheduled second, with the interference of the loads of the previous period.
The clock is injected (`now`, epoch s); nothing here touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulator.netpolicy import Fault, NetDocumentError, Policy, UnitPolicy, json_document, parse_fault, parse_policy
from simulator.plan import NetworkPlan
from simulator.radio.network import RadioConfig, Ues, link_budget, link_gain, rx_re_dbm, site_links, site_shadowing
from simulator.radio.qos import Admission, Bearers, uplift
from simulator.radio.scheduler import SchedulerConfig
from simulator.scenario import Scenario, populate
from simulator.sim import admit_and_schedule, kpi_documents, radio_config
from telemetry import topics
from telemetry.decode import decode
from telemetry.fix import Fix, Rejection
from telemetry.rules import BBox, DecodeContext
from traffic.utm import to_utm

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
DOWN_DB = -1000.0  # path gain towards a cell that is off the air: nothing is received from or by it
NO_UNIT_POLICY = UnitPolicy()
BearerKey = tuple[str, str | int]  # (unit id, "data_ul" | "data_dl" | "video"), or ("", index): background


@dataclass(frozen=True)
class EquipmentConfig:
    detach_after_s: float = 300.0  # a unit silent this long has left the network
    move_m: float = 50.0  # path gains are recomputed once a unit has moved this far
    # Cell selection floor (TS 36.304 S criterion, q-RxLevMin): below it a unit has no coverage.
    min_rsrp_dbm: float = -124.0
    # What a unit's default bearers offer when nothing else runs: AVL, messaging, CAD data (illustrative).
    data_ul_mbps: float = 0.05
    data_dl_mbps: float = 0.2
    admission_threshold: float = 0.9
    schedule_s: float = 1.0  # the scheduled second whose rates a period reports
    owntracks_agency: str = "police"  # psn's default agency: an OwnTracks device's provisional unit


@dataclass
class _Unit:
    agency: str
    unit: str
    lonlat: tuple[float, float]
    seen: float
    gain: FloatArray | None = None  # (C,) dB, computed at gain_xy
    gain_xy: FloatArray | None = None


@dataclass(frozen=True)
class _ActiveFault:
    fault: Fault
    cells: tuple[int, ...]
    until: float | None

    def describe(self) -> str:
        cap = f" x{self.fault.capacity:g}" if self.fault.kind == "backhaul" else ""
        return f"{self.fault.kind} {self.fault.target}{cap}"


@dataclass(frozen=True)
class Period:
    """One period's output: KPI documents of the cells on the air, link reports of the attached units."""

    ts: float
    kpis: list[dict[str, object]]
    links: list[tuple[str, str, dict[str, object]]]  # (agency, unit, link report)
    attached: int
    covered: int
    faults: tuple[str, ...]


class Equipment:
    def __init__(self, plan: NetworkPlan, rng: np.random.Generator, cfg: EquipmentConfig = EquipmentConfig(),
                 radio: RadioConfig | None = None, load: Scenario | None = None,
                 faults: list[tuple[float, Fault]] | None = None, start: float = 0.0) -> None:
        self.plan, self.cfg, self._rng = plan, cfg, rng
        self.cells = plan.cells()
        self.radio = radio or radio_config(plan)
        self._sched = SchedulerConfig(prbs=plan.band.prbs, slot_s=self.radio.slot_s, duration_s=cfg.schedule_s)
        self._shadow = site_shadowing(rng, self.cells, self.radio)
        self._site_cells = {s.id: tuple(np.flatnonzero(self.cells.site_index == i).tolist())
                            for i, s in enumerate(plan.sites)}
        self._cell_index = {c: i for i, c in enumerate(self.cells.ids)}
        lons, lats = [s.lon for s in plan.sites], [s.lat for s in plan.sites]
        self._ctx = DecodeContext(now=0.0, agencies=frozenset(), default_agency=cfg.owntracks_agency,
                                  service_area=BBox(min(lons) - 1, min(lats) - 1, max(lons) + 1, max(lats) + 1))
        self.policy = Policy()
        self._units: dict[str, _Unit] = {}
        self._faults: dict[tuple[str, str], _ActiveFault] = {}
        self._pending = sorted(faults or [], key=lambda p: p[0])
        for _, f in self._pending:
            self._targets(f)  # an unknown cell or site in the schedule is refused now, not at its time
        self._start = start
        self._period = 0
        self._established: dict[BearerKey, int] = {}
        self._admitted: dict[BearerKey, bool] = {}
        n = len(self.cells)
        self._dl_load, self._ul_load = np.ones(n), np.full(n, 0.5)  # before any scheduling: the sim's defaults
        self._background = populate(rng, load) if load else None
        self._n_groups = len(load.groups) if load else 0
        self._bg_gain = (link_gain(self.cells, plan.antenna,
                                   site_links(rng, self.cells, self._background.ues, self.radio,
                                              shadowing=self._shadow))
                         if self._background else np.zeros((0, n)))

    # -- what the equipment hears ------------------------------------------------------------------------
    def receive(self, topic: str, payload: bytes, now: float) -> str | None:
        """Takes one MQTT message; returns why it was refused, or None. Never raises."""
        try:
            if topic == topics.NET_POLICY_TOPIC:
                # an empty retained message clears the policy: back to the defaults
                self.policy = parse_policy(json_document(payload, "policy")) if payload else Policy()
            elif topic == topics.NET_FAULT_TOPIC:
                self.apply(parse_fault(json_document(payload, "fault")), now)
            else:
                return self._fix(topic, payload, now)
        except NetDocumentError as e:
            return str(e)
        return None

    def _fix(self, topic: str, payload: bytes, now: float) -> str | None:
        route = topics.parse(topic)
        # The network attaches any unit; it does not know psn's agencies, so the topic's agency is accepted.
        agencies = frozenset({route.agency}) if isinstance(route, topics.UnitTopic) else frozenset()
        got = decode(topic, payload, replace(self._ctx, now=now, agencies=agencies))
        if isinstance(got, Rejection):
            return got.detail
        if isinstance(got, Fix):
            unit = self._units.get(got.who.id)
            if unit is None:
                self._units[got.who.id] = _Unit(got.who.agency, got.who.unit, (got.lon, got.lat), now)
            else:
                unit.lonlat, unit.seen = (got.lon, got.lat), now
        return None

    def apply(self, fault: Fault, now: float) -> None:
        """Injects or clears a fault; an unknown target raises NetDocumentError."""
        key = (fault.kind, fault.target)
        cells = self._targets(fault)
        if fault.inject:
            self._faults[key] = _ActiveFault(fault, cells, None if fault.duration_s is None else now + fault.duration_s)
        else:
            self._faults.pop(key, None)

    def _targets(self, fault: Fault) -> tuple[int, ...]:
        if fault.target in self._cell_index and fault.kind != "site_down":
            return (self._cell_index[fault.target],)
        if fault.target in self._site_cells and fault.kind != "cell_down":
            return self._site_cells[fault.target]
        what = {"cell_down": "cell", "site_down": "site", "backhaul": "cell or site"}[fault.kind]
        raise NetDocumentError(f"{fault.kind}: no {what} {fault.target!r:.40} in plan {self.plan.name!r}")

    # -- one period ----------------------------------------------------------------------------------------
    def step(self, now: float) -> Period:
        self._update_faults(now)
        self._units = {k: u for k, u in self._units.items() if now - u.seen <= self.cfg.detach_after_s}
        ids = sorted(self._units)
        units = [self._units[k] for k in ids]
        n, n_bg = len(self.cells), len(self._bg_gain)
        down = np.zeros(n, dtype=bool)
        capacity = np.ones(n)
        for f in self._faults.values():
            if f.fault.kind == "backhaul":
                capacity[list(f.cells)] = np.minimum(capacity[list(f.cells)], f.fault.capacity)
            else:
                down[list(f.cells)] = True
        gain = np.where(down, DOWN_DB, np.vstack([self._bg_gain, self._unit_gains(units)]))
        covered = rx_re_dbm(gain, self.cells, self.radio).max(axis=1) >= self.cfg.min_rsrp_dbm
        snap = link_budget(gain[covered], self.cells, self.radio, self._dl_load, self._ul_load)
        requested, all_keys = self._requests(ids, units)
        keep = covered[requested.ue]
        row = np.cumsum(covered) - 1  # UE index among the covered ones
        b = requested.select(keep)
        b = replace(b, ue=row[b.ue])
        keys = [k for k, kept in zip(all_keys, keep, strict=True) if kept]
        lifted = [n_bg + i for i, uid in enumerate(ids) if self.policy.uplifted(uid, now)]
        if self._background is not None:
            lifted += self._background.uplifted.tolist()
        lifted_rows = row[[r for r in lifted if covered[r]]]
        b, priority = uplift(b, lifted_rows)
        cell, _share, status, result = admit_and_schedule(snap, b, priority, n, self.radio, self._sched,
                                                          self.cfg.admission_threshold, capacity)
        rejected, preempted = self._events(keys, status)
        self._dl_load, self._ul_load = result.cell_prb_load[:n], result.cell_prb_load[n:]
        kpis = kpi_documents(self.cells.ids, np.flatnonzero(~down), now, snap.serving, snap.dl_sinr_db, cell,
                             result, rejected, preempted)
        links = self._links(ids, units, now, covered[n_bg:], row[n_bg:], snap.serving, snap.rsrp_dbm,
                            snap.dl_sinr_db, b, result.throughput_bps)
        self._period += 1
        return Period(now, kpis, links, len(units), int(covered[n_bg:].sum()),
                      tuple(f.describe() for f in self._faults.values()))

    def _update_faults(self, now: float) -> None:
        while self._pending and self._start + self._pending[0][0] <= now:
            at, fault = self._pending.pop(0)
            self.apply(fault, self._start + at)
        self._faults = {k: f for k, f in self._faults.items() if f.until is None or now < f.until}

    def _links(self, ids: list[str], units: list[_Unit], now: float, covered: BoolArray, row: IntArray,
               serving: IntArray, rsrp: FloatArray, sinr: FloatArray, b: Bearers,
               thr: FloatArray) -> list[tuple[str, str, dict[str, object]]]:
        """One link report per attached unit; `row` is its index among the covered UEs (when covered)."""
        n_cov = len(serving)
        ul = np.bincount(b.ue[b.uplink], thr[b.uplink], minlength=n_cov)
        dl = np.bincount(b.ue[~b.uplink], thr[~b.uplink], minlength=n_cov)
        arp = np.full(n_cov, 16)
        np.minimum.at(arp, b.ue, b.arp)
        at = np.where(covered, row, n_cov)  # a uncovered unit reads the padding after the covered UEs

        def pick(a: NDArray[np.generic], scale: float = 1.0, digits: int = 1) -> list[float]:
            return np.round(np.append(a, 0)[at] * scale, digits).tolist()

        cell = np.append(serving, 0)[at].tolist()
        rsrp_l, sinr_l = pick(np.clip(rsrp, -156.0, -30.0)), pick(np.clip(sinr, -30.0, 60.0))
        ul_l, dl_l, arp_l = pick(ul, 1e-6, 3), pick(dl, 1e-6, 3), np.append(arp, 0)[at].tolist()
        out = []
        for i, (uid, u) in enumerate(zip(ids, units, strict=True)):
            lifted = self.policy.uplifted(uid, now)
            doc: dict[str, object] = {"agency": u.agency, "unit": u.unit, "ts": now}
            if covered[i]:
                doc |= {"cell": self.cells.ids[cell[i]], "rsrp_dbm": rsrp_l[i], "sinr_db": sinr_l[i],
                        "ul_mbps": ul_l[i], "dl_mbps": dl_l[i], "arp": arp_l[i]}
            else:
                doc |= {"cell": None, "rsrp_dbm": None, "sinr_db": None, "ul_mbps": 0.0, "dl_mbps": 0.0,
                        "arp": 1 if lifted else self.policy.profile(u.agency).arp}
            out.append((u.agency, u.unit, doc | {"uplifted": lifted}))
        return out

    def _unit_gains(self, units: list[_Unit]) -> FloatArray:
        """(U, C) path gains of the units, recomputed for those that moved more than `move_m` since."""
        if not units:
            return np.zeros((0, len(self.cells)))
        xy = to_utm([u.lonlat[0] for u in units], [u.lonlat[1] for u in units])
        then = np.array([(np.nan, np.nan) if u.gain_xy is None else u.gain_xy for u in units])
        stale = np.flatnonzero(~(np.hypot(*(xy - then).T) <= self.cfg.move_m))  # NaN: never computed
        if len(stale):
            k = len(stale)
            # Outdoor at 1.5 m, no penetration loss: a handheld outside or a vehicle's roof antenna.
            ues = Ues(xy[stale], np.full(k, 1.5), np.zeros(k, dtype=bool), np.zeros(k, dtype=bool))
            fresh = link_gain(self.cells, self.plan.antenna,
                              site_links(self._rng, self.cells, ues, self.radio, shadowing=self._shadow))
            for r, i in enumerate(stale):
                units[i].gain, units[i].gain_xy = fresh[r], xy[i]
        return np.vstack([u.gain for u in units if u.gain is not None])

    def _requests(self, ids: list[str], units: list[_Unit]) -> tuple[Bearers, list[BearerKey]]:
        """Every bearer the UEs ask for, in UE rows (background first): per unit a data bearer each way with
        its agency's profile, and the uplink video bearer while psn says it streams."""
        profiles = [self.policy.profile(u.agency) for u in units]
        video = np.array([self.policy.units.get(uid, NO_UNIT_POLICY).video_ul_mbps or 0.0 for uid in ids])
        v = video > 0
        n_u = len(units)

        def each(values: list[Any], dtype: type, with_video: list[Any] | None = None) -> NDArray[Any]:
            a: NDArray[Any] = np.array(values, dtype=dtype)
            return np.concatenate([a, a, np.array(with_video, dtype=dtype)[v] if with_video is not None else a[v]])

        keys: list[BearerKey] = [(uid, "data_ul") for uid in ids]
        keys += [(uid, "data_dl") for uid in ids]
        keys += [(uid, "video") for uid, streams in zip(ids, v.tolist(), strict=True) if streams]
        epoch = self._n_groups + self._period
        # An admitted bearer keeps its establishment epoch; a new or refused one asks (again) now.
        seq = [self._established[k] if self._admitted.get(k) else epoch for k in keys]
        self._established = dict(zip(keys, seq, strict=True))
        rows = np.arange(len(self._bg_gain), len(self._bg_gain) + n_u)
        mine = Bearers(
            ue=np.concatenate([rows, rows, rows[v]]),
            qci=each([p.qci for p in profiles], np.int64, [p.video_qci for p in profiles]),
            uplink=np.concatenate([np.ones(n_u, dtype=bool), np.zeros(n_u, dtype=bool), np.ones(int(v.sum()), bool)]),
            rate_bps=np.concatenate([np.full(n_u, self.cfg.data_ul_mbps), np.full(n_u, self.cfg.data_dl_mbps),
                                     video[v]]) * 1e6,
            arp=each([p.arp for p in profiles], np.int64),
            may_preempt=each([p.pci for p in profiles], bool),
            preemptable=each([p.pvi for p in profiles], bool),
            seq=np.array(seq, dtype=np.int64),
        )
        if self._background is None:
            return mine, keys
        bg = self._background.bearers
        both = Bearers(*(np.concatenate([getattr(bg, f), getattr(mine, f)]) for f in Bearers.__dataclass_fields__))
        background: list[BearerKey] = [("", j) for j in range(len(bg))]
        return both, background + keys

    def _events(self, keys: list[BearerKey], status: IntArray) -> tuple[BoolArray, BoolArray]:
        """Bearers refused this period that were admitted or new before (rejected), and those of them a
        higher-priority bearer displaced (pre-empted): a bearer that stays refused is counted once."""
        admitted = status == Admission.ADMITTED
        last = [self._admitted.get(k) for k in keys]
        was = np.array([x is True for x in last], dtype=bool)
        new = np.array([x is None for x in last], dtype=bool)
        self._admitted = dict(zip(keys, admitted.tolist(), strict=True))
        preempted = ~admitted & was & (status == Admission.PREEMPTED)
        return ~admitted & (was | new) & ~preempted, preempted
