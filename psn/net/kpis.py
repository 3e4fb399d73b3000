"""Live cells and links: the latest KPI of each cell and the latest link of each unit in memory, each KPI into the
time series (`KpiStore`), `net_kpi` and `net_link` live events, and the answers of psn/api/net/cells.py.

Inline bus subscribers (a lock, a dict update, a deque append and a live notification: cheap), so the latest
state is never behind ingest. A cell is `up` while its latest KPI is at most `silent_after_periods` periods old,
`silent` after that, `unknown` when the inventory knows it but it never reported since psn started. A cell whose
KPI was restored at start is `unknown` for as long (then `silent` unless it reported), as the alarms expect it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter

from netmgmt.series import Point, Retention, downsample, plan
from psn.access import Action, Principal, Resource, Target, decide
from psn.bus import Bus
from psn.clock import Clock
from psn.events import KpiAccepted, LinkAccepted
from psn.live import LiveHub
from psn.net.kpi_store import KpiStore
from psn.sharing import SharingStore
from telemetry import CellKpi, LinkReport

SILENT_AFTER_PERIODS = 3  # the contract's cell_silent: no KPI for more than 3 periods
RESTORE_S = 3600.0
# An equipment certificate may name any unit and any cell. The latest link of this many units and the latest KPI
# of this many cells are held (10 times the design load's 5,000 units; the plan has 165 cells, the bench 500);
# beyond it the one reported longest ago is forgotten, so a rogue certificate cannot exhaust memory.
MAX_LINKS = 50_000
MAX_CELLS = 5_000


class CellDirectory(Protocol):
    """What psn knows of the cells beyond their KPIs (the inventory): `cell` returns an object with id, site, lat,
    lon and azimuth_deg attributes, `cells` all of them."""

    def cell(self, cell_id: str) -> Any | None: ...

    def cells(self) -> Sequence[Any]: ...


class AlarmCounter(Protocol):
    def active_counts(self) -> Mapping[str, int]:
        """The number of active alarms of each target that has any."""
        ...


class NoCells:
    """The directory until the inventory is wired in: knows no cell."""

    def cell(self, cell_id: str) -> Any | None:
        return None

    def cells(self) -> Sequence[Any]:
        return ()


class NoAlarms:
    def active_counts(self) -> Mapping[str, int]:
        return {}


def may_view_network(who: Principal) -> bool:
    return bool(decide(who, Action.VIEW, Target(Resource.NETWORK)))


def kpi_row(kpi: CellKpi) -> dict[str, Any]:
    return {"ts": kpi.ts, "connected_ues": kpi.connected_ues, "prb_util_dl": kpi.prb_util_dl,
            "prb_util_ul": kpi.prb_util_ul, "thr_dl_mbps": kpi.thr_dl_mbps, "thr_ul_mbps": kpi.thr_ul_mbps,
            "mean_dl_sinr_db": kpi.mean_dl_sinr_db, "bearers_rejected": kpi.bearers_rejected,
            "bearers_preempted": kpi.bearers_preempted}


def link_row(link: LinkReport) -> dict[str, Any]:
    return {"unit": link.who.id, "agency": link.who.agency, "ts": link.ts, "cell": link.cell,
            "rsrp_dbm": link.rsrp_dbm, "sinr_db": link.sinr_db, "ul_mbps": link.ul_mbps, "dl_mbps": link.dl_mbps,
            "arp": link.arp, "uplifted": link.uplifted}


def point_row(point: Point) -> dict[str, Any]:
    return {"ts": point.ts, "prb_util_dl": point.prb_util_dl, "prb_util_ul": point.prb_util_ul,
            "thr_dl_mbps": point.thr_dl_mbps, "thr_ul_mbps": point.thr_ul_mbps,
            "connected_ues": point.connected_ues, "bearers_rejected": point.bearers_rejected,
            "bearers_preempted": point.bearers_preempted}


class KpiService:
    def __init__(self, store: KpiStore, clock: Clock, hub: LiveHub, sharing: SharingStore, keep: Retention,
                 period_s: float = 5.0, registry: CollectorRegistry | None = None) -> None:
        self.store, self._clock, self._hub, self._sharing = store, clock, hub, sharing
        self.keep, self.period_s = keep, period_s
        self.directory: CellDirectory = NoCells()
        self.alarms: AlarmCounter = NoAlarms()
        self._lock = threading.Lock()
        self._kpis: dict[str, CellKpi] = {}
        self._received: dict[str, float] = {}  # cell -> when its latest KPI arrived (psn's clock)
        self._loaded_at: float | None = None  # when `load` restored the cells' latest KPIs
        self._links: dict[str, LinkReport] = {}  # in the order last reported, as are `_kpis` and `_received`
        self.max_links, self.max_cells = MAX_LINKS, MAX_CELLS
        self._links_forgotten = Counter("psn_net_links_forgotten", "Units whose latest link psn forgot: more units "
                                        "reported than it holds, this one longest ago", registry=registry)
        self._cells_forgotten = Counter("psn_net_cells_forgotten", "Cells whose latest KPI psn forgot: more cells "
                                        "reported than it holds, this one longest ago", registry=registry)

    def subscribe(self, bus: Bus) -> None:
        bus.subscribe("net-kpis", self._on_kpi, (KpiAccepted,), inline=True)
        # Inline and durable: the KPI is acknowledged to the broker once stored; the store's bounded queue waits.
        bus.subscribe("net-kpi-store", self._store_kpi, (KpiAccepted,), inline=True, durable=True)
        bus.subscribe("net-links", self._on_link, (LinkAccepted,), inline=True)

    def load(self) -> None:
        """The latest KPI of each cell that reported within the last hour, so a restart keeps the picture."""
        with self._lock:
            self._loaded_at = self._clock.time()
            restored = sorted(self.store.latest(self._clock.time() - RESTORE_S), key=lambda row: row[1])
            self.store.remember([kpi for kpi, _ in restored])
            for kpi, received in restored[-self.max_cells:]:  # in the order they arrived, the latest kept
                self._kpis[kpi.cell] = kpi
                self._received[kpi.cell] = received

    def start(self) -> None:
        self.store.start()

    def stop(self) -> None:
        self.store.stop()

    def _on_kpi(self, event: KpiAccepted) -> None:
        kpi = event.kpi
        with self._lock:
            older = self._kpis.get(kpi.cell)
            if older is not None and older.ts == kpi.ts:
                return  # a redelivery, or the broker's retained copy after a restart: shown already
            if older is None or older.ts < kpi.ts:  # a late report is stored but never replaces a newer one
                self._kpis.pop(kpi.cell, None)
                self._received.pop(kpi.cell, None)
                self._kpis[kpi.cell] = kpi
                self._received[kpi.cell] = event.received
                if len(self._kpis) > self.max_cells:
                    oldest = next(iter(self._kpis))
                    del self._kpis[oldest], self._received[oldest]
                    self._cells_forgotten.inc()
        self._hub.notify("net_kpi", {"cell": kpi.cell, "kpi": kpi_row(kpi)}, may_view_network)

    def _store_kpi(self, event: KpiAccepted) -> None:
        self.store.offer(event.kpi, event.received, event.receipt)

    def _on_link(self, event: LinkAccepted) -> None:
        link = event.link
        with self._lock:
            older = self._links.get(link.who.id)
            if older is not None and older.ts > link.ts:
                return
            self._links.pop(link.who.id, None)
            self._links[link.who.id] = link
            if len(self._links) > self.max_links:
                del self._links[next(iter(self._links))]
                self._links_forgotten.inc()
        self._hub.notify("net_link", {"link": link_row(link)}, self._viewers_of(link.who.agency, link.who.id))

    def _viewers_of(self, agency: str, unit: str) -> Callable[[Principal], bool]:
        return lambda who: self.may_view_unit(who, agency, unit)

    def may_view_unit(self, who: Principal, agency: str, unit: str) -> bool:
        return decide(who, Action.VIEW, Target(Resource.UNIT, agency, unit), self._sharing.snapshot).allowed

    # What the other parts read (RADIO, PROGRAMME, ALARMS)

    def latest_kpi(self, cell_id: str) -> CellKpi | None:
        return self._kpis.get(cell_id)

    def latest_link(self, unit_id: str) -> LinkReport | None:
        return self._links.get(unit_id)

    def cell_loads(self) -> dict[str, float]:
        """The latest uplink PRB utilisation of every cell that reported."""
        with self._lock:
            return {cell: kpi.prb_util_ul for cell, kpi in self._kpis.items()}

    # Answers of the REST routes

    def state(self, cell_id: str) -> str:
        received, limit = self._received.get(cell_id), SILENT_AFTER_PERIODS * self.period_s
        if received is None:
            return "unknown"
        if self._loaded_at is not None and received < self._loaded_at:  # restored, not heard from since
            return "silent" if self._clock.time() - self._loaded_at > limit else "unknown"
        return "silent" if self._clock.time() - received > limit else "up"

    def cells(self) -> list[dict[str, Any]]:
        """Every cell the inventory knows or that reported, by id."""
        known = {str(c.id): c for c in self.directory.cells()}
        with self._lock:
            kpis = dict(self._kpis)
        alarms = self.alarms.active_counts()  # once: each reading goes through every active alarm
        rows = []
        for cell_id in sorted(known.keys() | kpis.keys()):
            info = known.get(cell_id) or self.directory.cell(cell_id)
            kpi = kpis.get(cell_id)
            rows.append({"id": cell_id, "site": getattr(info, "site", None) or _site_of(cell_id),
                         "lat": getattr(info, "lat", None), "lon": getattr(info, "lon", None),
                         "azimuth_deg": getattr(info, "azimuth_deg", None), "state": self.state(cell_id),
                         "kpi": kpi_row(kpi) if kpi is not None else None,
                         "alarms": alarms.get(cell_id, 0)})
        return rows

    def knows(self, cell_id: str) -> bool:
        return cell_id in self._kpis or self.directory.cell(cell_id) is not None

    def series(self, cell_id: str, start: float, end: float, step: int | None) -> dict[str, Any]:
        """Raises netmgmt.series.BadQuery for a window or step no source answers."""
        chosen = plan(start, end, step, self._clock.time(), self.keep)
        points = downsample(self.store.points(cell_id, chosen.resolution, start, end, chosen.step), chosen.step)
        return {"cell": cell_id, "step_s": chosen.step, "source": chosen.source,
                "points": [point_row(p) for p in points]}

    def links(self, who: Principal) -> list[dict[str, Any]]:
        with self._lock:
            links = sorted(self._links.values(), key=lambda link: link.who.id)
        return [link_row(link) for link in links if self.may_view_unit(who, link.who.agency, link.who.id)]

    def apply_retention(self) -> int:
        return self.store.apply_retention(self._clock.time(), self.keep)


def _site_of(cell_id: str) -> str:
    """`{site id}-{sector number}` (simulator/plan.py names cells so): the site, when the inventory is silent."""
    site, _, sector = cell_id.rpartition("-")
    return site if site and sector.isdigit() else cell_id
