"""How many concurrent uplink video streams each cell carries within their delay budget.

Streamers are dropped uniformly over each cell's best-server area. A stream needs the PRB share
rate / (bits per PRB x PRBs) given its UE's uplink CQI; the cell admits streams while the sum of shares
stays under the admission threshold minus what protected bearers (higher ARP or not pre-emptable)
already hold. The count is then checked with the fluid scheduler and lowered until every stream's
95th-percentile delay meets the QCI delay budget and drops stay under its packet loss rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.plan import NetworkPlan
from simulator.radio.cells import Cells
from simulator.radio.network import RadioConfig, Ues, snapshot
from simulator.radio.qos import QCI_TABLE, Admission, preemption_order
from simulator.radio.scheduler import ScheduleInput, SchedulerConfig, schedule
from simulator.sim import ScenarioRun, prb_share, radio_config

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Progress = Callable[[int, int], None]

# Typical H.264 30 fps rates used by public-safety video (Mbit/s).
VIDEO_RATES = {"480p": 0.53, "720p": 1.08, "1080p": 2.76}


@dataclass(frozen=True)
class CellCapacity:
    cell: str
    streams: int  # uniform streamers, verified by the scheduler
    streams_cell_edge: int  # every streamer at the cell's 10 % worst uplink SINR
    p95_delay_ms: float
    protected_share: float  # PRB share held by bearers video cannot displace
    coverage: float  # share of the cell area where one stream is reachable at all
    preempted_first: tuple[str, ...]  # scenario units a newcomer would displace, in order


def probe_ues(rng: np.random.Generator, cells: Cells, per_site: int) -> tuple[Ues, IntArray]:
    """Uniform points around every site, out to 60 % of the distance to its nearest neighbour."""
    sxy = cells.site_xy()
    d = np.hypot(*(sxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    radius = np.clip(0.6 * d.min(axis=1), 500.0, 15_000.0)
    r = radius[:, None] * np.sqrt(rng.random((len(sxy), per_site)))
    t = rng.uniform(0.0, 2.0 * np.pi, (len(sxy), per_site))
    xy = (sxy[:, None, :] + np.stack([r * np.cos(t), r * np.sin(t)], axis=-1)).reshape(-1, 2)
    n = len(xy)
    return Ues(xy, np.full(n, 1.5), np.zeros(n, bool), np.zeros(n, bool)), np.repeat(np.arange(len(sxy)), per_site)


def _protected_share(run: ScenarioRun | None, n_cells: int, arp: int) -> FloatArray:
    out = np.zeros(n_cells)
    if run is None:
        return out
    b = run.bearers
    keep = (run.admission == Admission.ADMITTED) & b.uplink & b.is_gbr() & ((b.arp <= arp) | ~b.preemptable)
    np.add.at(out, run.cell_of_bearer[keep] - n_cells, run.prb_share[keep])
    return out


def _preempted_first(run: ScenarioRun | None, n_cells: int, limit: int = 3) -> list[tuple[str, ...]]:
    if run is None:
        return [() for _ in range(n_cells)]
    b = run.bearers
    live = (run.admission == Admission.ADMITTED) & b.uplink
    order = preemption_order(b.select(live))
    idx = np.flatnonzero(live)[order]
    out: list[list[str]] = [[] for _ in range(n_cells)]
    for i in idx:  # at most a few hundred scenario bearers, not the hot path
        c = int(run.cell_of_bearer[i]) - n_cells
        if len(out[c]) < limit:
            out[c].append(f"{run.population.unit_ids[b.ue[i]]} (QCI {b.qci[i]}, ARP {b.arp[i]})")
    return [tuple(x) for x in out]


@dataclass(frozen=True)
class Probes:
    """Candidate streamers: each cell's uplink bits per PRB and power-headroom PRBs."""

    cell: IntArray
    bits: FloatArray
    max_prbs: FloatArray
    n_cells: int
    prbs: int
    slot_s: float


def make_probes(rng: np.random.Generator, plan: NetworkPlan, per_site: int = 600) -> Probes:
    cells = plan.cells()
    cfg: RadioConfig = radio_config(plan)
    ues, site_of = probe_ues(rng, cells, per_site)
    snap = snapshot(rng, cells, plan.antenna, ues, cfg)
    mine = cells.site_index[snap.serving] == site_of  # keep probes served by their own site
    return Probes(snap.serving[mine], snap.ul_bits_per_prb[mine], snap.ul_max_prbs[mine], len(cells), cfg.prbs,
                  cfg.slot_s)


def video_capacity(
    rng: np.random.Generator,
    plan: NetworkPlan,
    probes: Probes,
    rate_mbps: float,
    run: ScenarioRun | None = None,
    qci: int = 67,
    arp: int = 5,
    threshold: float = 0.9,
    progress: Progress | None = None,
) -> list[CellCapacity]:
    cells = plan.cells()
    cell, bits, max_prbs, n_cells = probes.cell, probes.bits, probes.max_prbs, probes.n_cells
    share = prb_share(np.full(len(cell), rate_mbps * 1e6), bits, max_prbs, probes.prbs, probes.slot_s)
    count = np.bincount(cell, minlength=n_cells).astype(float)
    ok = np.isfinite(share)
    coverage = np.divide(np.bincount(cell, ok, minlength=n_cells), count, out=np.zeros(n_cells), where=count > 0)
    mean_share = np.divide(np.bincount(cell[ok], share[ok], minlength=n_cells),
                           np.bincount(cell[ok], minlength=n_cells), out=np.full(n_cells, np.inf),
                           where=np.bincount(cell[ok], minlength=n_cells) > 0)
    edge = np.full(n_cells, np.inf)
    for c in np.unique(cell[ok]):  # per cell, a percentile (one call per cell, not per UE)
        edge[c] = np.percentile(share[ok & (cell == c)], 90)
    protected = _protected_share(run, n_cells, arp)
    free = np.maximum(threshold - protected, 0.0)
    n = np.floor(np.divide(free, mean_share, out=np.zeros(n_cells), where=np.isfinite(mean_share))).astype(int)
    n_edge = np.floor(np.divide(free, edge, out=np.zeros(n_cells), where=np.isfinite(edge))).astype(int)
    spec = QCI_TABLE[qci]
    delay = np.zeros(n_cells)
    sched = SchedulerConfig(prbs=probes.prbs, slot_s=probes.slot_s)
    pool = [np.flatnonzero(ok & (cell == c)) for c in range(n_cells)]
    for step in range(12):
        if progress:
            progress(step, 12)
        # streamers per cell drawn from its probes, plus one bearer per cell standing for the protected load
        pick = np.concatenate([rng.choice(pool[c], n[c]) for c in range(n_cells) if n[c] > 0 and len(pool[c])])
        sc = cell[pick]
        dummy = np.flatnonzero(protected > 0)
        protected_bps = protected[dummy] * probes.prbs / probes.slot_s  # at 1 bit per PRB-slot
        res = schedule(
            ScheduleInput(
                cell=np.concatenate([sc, dummy]),
                bits_per_prb_tti=np.concatenate([bits[pick], np.ones(len(dummy))]),
                max_prbs=np.concatenate([max_prbs[pick], np.full(len(dummy), float(probes.prbs))]),
                priority=np.concatenate([np.full(len(sc), spec.priority), np.zeros(len(dummy))]),
                rate_bps=np.concatenate([np.full(len(sc), rate_mbps * 1e6), protected_bps]),
                delay_budget_s=np.full(len(sc) + len(dummy), spec.delay_budget_ms / 1e3),
                active=np.ones(len(sc) + len(dummy), bool),
            ),
            n_cells, sched,
        )
        p95 = np.zeros(n_cells)
        np.maximum.at(p95, sc, res.p95_delay_s[: len(sc)])
        worst_drop = np.zeros(n_cells)
        np.maximum.at(worst_drop, sc, res.drop_ratio[: len(sc)])
        fail = (p95 > spec.delay_budget_ms / 1e3) | (worst_drop > spec.loss_rate)
        delay = p95
        if not fail.any():
            break
        n = np.where(fail, np.maximum(n - 1, 0), n)
    if progress:
        progress(12, 12)
    first = _preempted_first(run, n_cells)
    return [
        CellCapacity(cells.ids[c], int(n[c]), int(min(n_edge[c], n[c])), round(float(delay[c]) * 1e3, 1),
                     round(float(protected[c]), 3), round(float(coverage[c]), 3), first[c])
        for c in range(n_cells) if count[c] > 0
    ]
