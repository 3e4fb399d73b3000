"""Fluid MAC scheduler: per interval, strict QCI priority, then round-robin or proportional-fair sharing.

Each interval of `interval_s` (default 10 ms = 10 LTE TTIs) a cell offers prbs x slots PRB-slots. Levels of
scheduling priority are served in order; inside a level PRBs are water-filled by weight (equal for RR,
instantaneous/average rate for PF) up to each bearer's backlog and power-headroom limit. Queued bits
older than the delay budget are discarded (PDCP discard timer), which is what "drops" count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Policy = Literal["rr", "pf"]


@dataclass(frozen=True)
class SchedulerConfig:
    policy: Policy = "pf"
    interval_s: float = 0.01
    duration_s: float = 1.0
    prbs: int = 50
    slot_s: float = 1e-3  # LTE TTI; 0.5 ms for NR at 30 kHz
    pf_time_constant_s: float = 0.1
    waterfill_rounds: int = 3


@dataclass(frozen=True)
class ScheduleInput:
    cell: IntArray  # serving cell per bearer
    bits_per_prb_tti: FloatArray  # from the UE's CQI in this direction
    max_prbs: FloatArray  # per TTI (uplink power headroom; prbs for downlink)
    priority: FloatArray  # QCI priority level, lower first
    rate_bps: FloatArray  # offered traffic
    delay_budget_s: FloatArray
    active: NDArray[np.bool_]  # admitted bearers


@dataclass(frozen=True)
class ScheduleResult:
    throughput_bps: FloatArray
    mean_delay_s: FloatArray
    p95_delay_s: FloatArray
    drop_ratio: FloatArray
    cell_prb_load: FloatArray  # fraction of PRB-TTIs used, per cell


def _share(cell: IntArray, weight: FloatArray, demand: FloatArray, supply: FloatArray, rounds: int) -> FloatArray:
    """Water-fill each cell's supply over its bearers by weight, never above demand."""
    got = np.zeros_like(demand)
    left = supply.copy()
    for _ in range(rounds):
        want = demand - got
        w = np.where(want > 1e-9, weight, 0.0)
        wsum = np.bincount(cell, w, minlength=len(supply))
        give = np.minimum(want, np.divide(left[cell] * w, wsum[cell], out=np.zeros_like(w), where=wsum[cell] > 0))
        got += give
        left -= np.bincount(cell, give, minlength=len(supply))
    return got


def schedule(inp: ScheduleInput, n_cells: int, cfg: SchedulerConfig) -> ScheduleResult:
    n = len(inp.cell)
    ttis = cfg.interval_s / cfg.slot_s
    steps = max(1, round(cfg.duration_s / cfg.interval_s))
    arrive = np.where(inp.active, inp.rate_bps * cfg.interval_s, 0.0)
    bits_per_prb = np.maximum(inp.bits_per_prb_tti, 1e-9)
    cap = inp.max_prbs * ttis * bits_per_prb  # most bits a bearer can move per interval
    keep = np.maximum(inp.rate_bps * np.maximum(inp.delay_budget_s - cfg.interval_s, 0.0), 0.0)
    levels = np.unique(inp.priority[inp.active])
    queue = np.zeros(n)
    avg = np.full(n, 1.0)
    served_total = np.zeros(n)
    dropped_total = np.zeros(n)
    used = np.zeros(n_cells)
    delays = np.zeros((steps, n))
    alpha = min(1.0, cfg.interval_s / cfg.pf_time_constant_s)
    in_level = [(inp.priority == level) & inp.active for level in levels]  # served in this order
    for t in range(steps):
        queue += arrive
        supply = np.full(n_cells, cfg.prbs * ttis)
        served = np.zeros(n)
        for level_mask in in_level:
            m = level_mask & (queue > 0)
            if not m.any():
                continue
            cell, bits = inp.cell[m], bits_per_prb[m]
            demand = np.minimum(queue[m], cap[m]) / bits  # PRB-TTIs
            weight = bits / avg[m] if cfg.policy == "pf" else np.ones_like(bits)
            prb = _share(cell, weight, demand, supply, cfg.waterfill_rounds)
            supply -= np.bincount(cell, prb, minlength=n_cells)
            served[m] = prb * bits
        queue -= served
        drop = np.maximum(queue - keep, 0.0)
        queue -= drop
        dropped_total += drop
        served_total += served
        used += cfg.prbs * ttis - supply
        avg = (1.0 - alpha) * avg + alpha * served / cfg.interval_s
        # backlog expressed in seconds of offered traffic, plus one interval of scheduling latency
        delays[t] = cfg.interval_s + np.divide(queue, inp.rate_bps, out=np.zeros(n), where=inp.rate_bps > 0)
    offered = arrive * steps
    return ScheduleResult(
        throughput_bps=served_total / (steps * cfg.interval_s),
        mean_delay_s=delays.mean(axis=0),
        p95_delay_s=np.percentile(delays, 95, axis=0),
        drop_ratio=np.divide(dropped_total, offered, out=np.zeros(n), where=offered > 0),
        cell_prb_load=used / (steps * cfg.prbs * ttis),
    )
