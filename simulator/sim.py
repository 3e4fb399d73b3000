"""Run a scenario on a plan: radio snapshot, GBR admission with pre-emption, one interval of scheduling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulator.plan import NetworkPlan
from simulator.radio.cells import Cells
from simulator.radio.network import RadioConfig, Snapshot, link_budget, snapshot
from simulator.radio.qos import Admission, Bearers, admit, uplift
from simulator.radio.scheduler import ScheduleInput, SchedulerConfig, ScheduleResult, schedule
from simulator.scenario import Population, Scenario, populate

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ScenarioRun:
    cells: Cells
    population: Population
    snapshot: Snapshot
    bearers: Bearers  # after uplift
    cell_of_bearer: IntArray
    prb_share: FloatArray  # fraction of the serving cell's PRBs (in the bearer's direction) its rate needs
    admission: IntArray
    result: ScheduleResult  # cell_prb_load has 2 x cells entries: downlink first, then uplink


def radio_config(plan: NetworkPlan) -> RadioConfig:
    return RadioConfig(dl_ghz=plan.band.dl_mhz / 1e3, ul_ghz=plan.band.ul_mhz / 1e3, prbs=plan.band.prbs,
                       scs_khz=plan.band.scs_khz)


def bearer_links(snap: Snapshot, b: Bearers, n_cells: int, cfg: RadioConfig) -> tuple[IntArray, FloatArray,
                                                                                          FloatArray]:
    """(direction-cell index, bits per PRB per TTI, max PRBs per TTI) of each bearer."""
    cell = snap.serving[b.ue] + n_cells * b.uplink
    bits = np.where(b.uplink, snap.ul_bits_per_prb[b.ue], snap.dl_bits_per_prb[b.ue])
    max_prbs = np.where(b.uplink, snap.ul_max_prbs[b.ue], float(cfg.prbs))
    return cell, bits, max_prbs


def prb_share(rate_bps: FloatArray, bits: FloatArray, max_prbs: FloatArray, prbs: int,
              slot_s: float = 1e-3) -> FloatArray:
    """Share of a cell's PRBs a constant-rate bearer needs; inf when the UE cannot reach the rate at all."""
    per_tti = rate_bps * slot_s
    share = np.divide(per_tti, bits * prbs, out=np.full(len(bits), np.inf), where=bits > 0)
    return np.where(per_tti <= bits * max_prbs, share, np.inf)


def admit_and_schedule(snap: Snapshot, bearers: Bearers, priority: FloatArray, n_cells: int, cfg: RadioConfig,
                       sched: SchedulerConfig, admission_threshold: float = 0.9,
                       capacity: FloatArray | None = None) -> tuple[IntArray, FloatArray, IntArray, ScheduleResult]:
    """GBR admission then one scheduled interval: (direction-cell, PRB share, admission, result) per bearer.
    `capacity` (per cell, 0..1) scales what a PRB carries there: a degraded backhaul drops that share."""
    cell, bits, max_prbs = bearer_links(snap, bearers, n_cells, cfg)
    if capacity is not None:
        bits = bits * capacity[cell % n_cells]
    share = prb_share(bearers.rate_bps, bits, max_prbs, cfg.prbs, cfg.slot_s)
    status = admit(bearers, cell, share, 2 * n_cells, admission_threshold)
    result = schedule(
        ScheduleInput(cell, bits, max_prbs, priority, bearers.rate_bps, bearers.delay_budget_s(),
                      status == Admission.ADMITTED),
        2 * n_cells, sched,
    )
    return cell, share, status, result


def run(rng: np.random.Generator, plan: NetworkPlan, sc: Scenario,
        sched: SchedulerConfig | None = None, admission_threshold: float = 0.9,
        load_iterations: int = 1) -> ScenarioRun:
    """Drop the scenario's units, admit and schedule; then redo both with interference at the loads
    the first pass produced (load_iterations times), so idle neighbours stop interfering."""
    cells = plan.cells()
    cfg = radio_config(plan)
    sched = sched or SchedulerConfig(prbs=plan.band.prbs, slot_s=cfg.slot_s)
    pop = populate(rng, sc)
    snap = snapshot(rng, cells, plan.antenna, pop.ues, cfg)  # first pass: every other cell fully loaded
    bearers, priority = uplift(pop.bearers, pop.uplifted)
    n = len(cells)
    cell, share, status, result = admit_and_schedule(snap, bearers, priority, n, cfg, sched, admission_threshold)
    for _ in range(load_iterations):  # interference from the loads the scheduler actually produced
        snap = link_budget(snap.gain_db, cells, cfg, result.cell_prb_load[:n], result.cell_prb_load[n:])
        cell, share, status, result = admit_and_schedule(snap, bearers, priority, n, cfg, sched,
                                                         admission_threshold)
    return ScenarioRun(cells, pop, snap, bearers, cell, share, status, result)


def cell_kpis(run: ScenarioRun, timestamp: float) -> list[dict[str, object]]:
    """Per-cell KPI documents (the payload of psn/v1/net/cell/{id}/kpi) for cells serving any unit."""
    ues = np.bincount(run.snapshot.serving, minlength=len(run.cells))
    return kpi_documents(run.cells.ids, np.flatnonzero(ues), timestamp, run.snapshot.serving,
                         run.snapshot.dl_sinr_db, run.cell_of_bearer, run.result,
                         rejected=run.admission != Admission.ADMITTED,
                         preempted=run.admission == Admission.PREEMPTED)


def kpi_documents(ids: tuple[str, ...], report: IntArray, timestamp: float, serving: IntArray,
                  dl_sinr_db: FloatArray, cell_of_bearer: IntArray, res: ScheduleResult,
                  rejected: NDArray[np.bool_], preempted: NDArray[np.bool_]) -> list[dict[str, object]]:
    """KPI documents of the cells `report` (indices into `ids`); `rejected` / `preempted` flag the bearers
    each counts. A cell serving nobody has no mean SINR (the field is left out)."""
    n = len(ids)
    ues = np.bincount(serving, minlength=n)
    thr = np.bincount(cell_of_bearer, res.throughput_bps, minlength=2 * n)
    rej = np.bincount(cell_of_bearer[rejected], minlength=2 * n)
    pre = np.bincount(cell_of_bearer[preempted], minlength=2 * n)
    sinr = np.bincount(serving, dl_sinr_db, minlength=n) / np.maximum(ues, 1)
    return [
        {
            "cell": ids[c],
            "ts": timestamp,
            "connected_ues": int(ues[c]),
            "prb_util_dl": round(float(res.cell_prb_load[c]), 3),
            "prb_util_ul": round(float(res.cell_prb_load[n + c]), 3),
            "thr_dl_mbps": round(float(thr[c]) / 1e6, 3),
            "thr_ul_mbps": round(float(thr[n + c]) / 1e6, 3),
            **({"mean_dl_sinr_db": round(float(np.clip(sinr[c], -30.0, 60.0)), 1)} if ues[c] else {}),
            "bearers_rejected": int(rej[c] + rej[n + c]),
            "bearers_preempted": int(pre[c] + pre[n + c]),
        }
        for c in report
    ]


def link_conditions(run: ScenarioRun) -> dict[str, dict[str, float]]:
    """Per simulated unit: the serving cell, throughput, latency and loss the network gives it."""
    n_ue = len(run.population.ues)
    b, res = run.bearers, run.result
    dl = np.bincount(b.ue[~b.uplink], res.throughput_bps[~b.uplink], minlength=n_ue)
    ul = np.bincount(b.ue[b.uplink], res.throughput_bps[b.uplink], minlength=n_ue)
    admitted = run.admission == Admission.ADMITTED
    latency = np.full(n_ue, -1e-3)  # -1 ms: no admitted bearer
    np.maximum.at(latency, b.ue[admitted], res.p95_delay_s[admitted])
    loss = np.zeros(n_ue)
    np.maximum.at(loss, b.ue, np.where(admitted, res.drop_ratio, 1.0))  # a refused bearer loses everything
    cell = run.snapshot.serving
    return {
        uid: {
            "cell": run.cells.ids[cell[u]],
            "dl_mbps": round(float(dl[u]) / 1e6, 3),
            "ul_mbps": round(float(ul[u]) / 1e6, 3),
            "latency_ms": round(float(latency[u]) * 1e3, 1),
            "loss": round(float(loss[u]), 4),
            "dl_sinr_db": round(float(run.snapshot.dl_sinr_db[u]), 1),
        }
        for u, uid in enumerate(run.population.unit_ids)
    }
