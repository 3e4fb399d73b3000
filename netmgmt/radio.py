"""Radio conditions at a point: coverage class, serving cell and the uplink rate one more body cam would get.

From the coverage map's pixel at the point (nearest pixel: the serving cell cannot be interpolated, and a 1 km
pixel is the model's own resolution) and the serving cell's uplink PRB load: the new UE's uplink SINR gives its
CQI (TS 36.213 Table 7.2.3-1, `netmgmt.link`), hence the bits one PRB carries; it gets the PRBs left under the GBR
admission ceiling, capped by the PRBs it can fill at its power-controlled PSD (the cell-edge cap).
"""

from __future__ import annotations

from dataclasses import dataclass

from netmgmt import link
from netmgmt.coverage import CoverageGrid, LinkParams

# H.264 30 fps rates of public-safety body cams (Mbit/s); the simulator's capacity study uses the same three.
VIDEO_RATES_MBPS: dict[str, float] = {"480p": 0.53, "720p": 1.08, "1080p": 2.76}
# RSRP classes (dBm, lower bounds, best first); below the last: none. −115 dBm is where the simulator's planning
# map ends its last ("edge") class; above −95 the map's "good" and "excellent" classes merge.
COVERAGE_CLASSES: tuple[tuple[str, float], ...] = (("good", -95.0), ("fair", -105.0), ("poor", -115.0))
COVERAGE_MIN_DBM = COVERAGE_CLASSES[-1][1]
# A GBR bearer is admitted while the cell's PRB shares stay under this (the simulator's admission threshold).
ADMISSION_CEILING = 0.9


@dataclass(frozen=True)
class Sample:
    """The coverage map at one point."""

    cell: str
    rsrp_dbm: float
    dl_sinr_db: float
    ul_sinr_db: float
    ul_max_prbs: float
    resolution_m: float


@dataclass(frozen=True)
class Estimate:
    coverage: str  # good | fair | poor | none
    cell: str | None
    rsrp_dbm: float
    dl_sinr_db: float
    ul_sinr_db: float
    cell_load_ul: float  # the serving cell's uplink PRB load used (live, or the planning load)
    load_live: bool
    ul_cqi: int
    ul_prbs: float  # PRBs the new UE gets
    ul_mbps: float
    video: dict[str, bool]
    verdict: str
    basis: str


def sample(grid: CoverageGrid, x: float, y: float) -> Sample | None:
    """The pixel containing the UTM point; None outside the grid or the country."""
    px = grid.pixel(x, y)
    if px is None or not grid.inside[px]:
        return None
    return Sample(grid.cells[int(grid.serving[px])], float(grid.rsrp_dbm[px]), float(grid.dl_sinr_db[px]),
                  float(grid.ul_sinr_db[px]), float(grid.ul_max_prbs[px]), grid.resolution_m)


def coverage_class(rsrp_dbm: float) -> str:
    for name, lower in COVERAGE_CLASSES:
        if rsrp_dbm >= lower:
            return name
    return "none"


def uplink_rate_mbps(ul_sinr_db: float, ul_max_prbs: float, load: float, params: LinkParams) -> tuple[int, float,
                                                                                                       float]:
    """(CQI, PRBs, Mbit/s) of one more UE: the free PRBs under the admission ceiling, capped by its max PRBs."""
    cqi = int(link.cqi_from_sinr(ul_sinr_db))
    bits = float(link.bits_per_prb_tti(link.efficiency_from_cqi(cqi), params.overhead_ul))
    prbs = min(params.prbs * max(0.0, ADMISSION_CEILING - load), ul_max_prbs)
    return cqi, prbs, bits * prbs / params.slot_s / 1e6


def estimate(s: Sample, params: LinkParams, live_load: float | None, silent: str | None = None) -> Estimate:
    """The verdict at a point given the serving cell's live uplink PRB load (None: not known, so the planning
    load is assumed and `basis` says so). `silent`: why the serving cell is taken as off the air (it stopped
    reporting KPIs); then no rate is assumed (a neighbour may serve, the map does not say how well)."""
    load = params.planning_ul_load if live_load is None else min(max(live_load, 0.0), 1.0)
    coverage = coverage_class(s.rsrp_dbm)
    cqi, prbs, mbps = uplink_rate_mbps(s.ul_sinr_db, s.ul_max_prbs, load, params)
    if coverage == "none" or silent is not None:
        prbs, mbps = 0.0, 0.0
    video = {name: mbps >= rate for name, rate in VIDEO_RATES_MBPS.items()}
    best = [name for name, ok in video.items() if ok]
    if silent is not None and coverage != "none":
        verdict = f"Live video will not work here ({s.cell} silent: down?)"
    elif best:
        verdict = f"Live video will work here ({best[-1]})"
    elif coverage == "none":
        verdict = "Live video will not work here (no coverage)"
    elif uplink_rate_mbps(s.ul_sinr_db, s.ul_max_prbs, 0.0, params)[2] >= VIDEO_RATES_MBPS["480p"]:
        verdict = "Live video will not work here (cell busy)"
    else:
        verdict = "Live video will not work here (weak coverage)"
    load_basis = (f"{s.cell} silent: {silent}" if silent is not None
                  else f"{s.cell} uplink PRB load {load:.2f} from its latest KPI" if live_load is not None
                  else f"{s.cell} uplink load not known (no live KPI): planning load {load:.2f} assumed")
    basis = (f"nearest {s.resolution_m:.0f} m pixel of the coverage map (median outdoor prediction at 1.5 m); "
             f"uplink SINR {s.ul_sinr_db:.1f} dB → CQI {cqi}; {load_basis}; "
             f"{prbs:.1f} of {params.prbs} PRBs (free under the {ADMISSION_CEILING:.0%} admission ceiling, "
             f"at most {s.ul_max_prbs:.1f} at full UE power)")
    return Estimate(coverage, s.cell if coverage != "none" else None, s.rsrp_dbm, s.dl_sinr_db, s.ul_sinr_db, load,
                    live_load is not None, cqi, prbs, mbps, video, verdict, basis)
