"""Radio simulator benchmark: one snapshot of 57 cells x N UEs, then one second of scheduling.

Run: .venv/bin/python bench/radio.py [--ues 1000 10000 100000] [--interval-ms 10]
Prints per-stage times, the ratio to a baseline measured in the same run (a plain numpy pass that only
computes the UE x cell distance matrix), and the scaling over UE counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np

from simulator.radio.antenna import SectorAntenna
from simulator.radio.layout import drop_in_hexagons, hex_cells, hex_sites
from simulator.radio.network import RadioConfig, Ues, snapshot
from simulator.radio.qos import Bearers, admit
from simulator.radio.scheduler import ScheduleInput, SchedulerConfig, schedule
from simulator.sim import bearer_links, prb_share

ISD = 1732.0  # Band 14 suburban macro spacing


def best_of(n: int, fn: Callable[[], object]) -> float:
    best = np.inf
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def traffic(rng: np.random.Generator, n_ue: int) -> Bearers:
    """Per UE one bearer: 10 % uplink 720p video (QCI 67), 30 % MCPTT voice (QCI 65), 60 % best effort DL."""
    u = rng.random(n_ue)
    qci = np.where(u < 0.1, 67, np.where(u < 0.4, 65, 9))
    rate = np.where(qci == 67, 1.08e6, np.where(qci == 65, 0.04e6, 0.5e6))
    return Bearers(np.arange(n_ue), qci, qci != 9, rate, np.where(qci == 9, 9, 3), qci != 9, qci == 9,
                   np.arange(n_ue))


def one_run(n_ue: int, interval_s: float, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    cells = hex_cells(ISD, height_m=30.0, tilt_deg=4.0)
    cfg = RadioConfig()
    xy = drop_in_hexagons(rng, hex_sites(ISD), ISD, n_ue, 35.0)
    ues = Ues(xy, np.full(n_ue, 1.5), rng.random(n_ue) < 0.5, np.zeros(n_ue, bool))
    b = traffic(rng, n_ue)
    t0 = time.perf_counter()
    snap = snapshot(rng, cells, SectorAntenna(), ues, cfg)
    t1 = time.perf_counter()
    cell, bits, max_prbs = bearer_links(snap, b, len(cells), cfg)
    status = admit(b, cell, prb_share(b.rate_bps, bits, max_prbs, cfg.prbs), 2 * len(cells))
    schedule(ScheduleInput(cell, bits, max_prbs, b.priority(), b.rate_bps, b.delay_budget_s(), status == 0),
             2 * len(cells), SchedulerConfig(interval_s=interval_s, duration_s=1.0))
    t2 = time.perf_counter()
    return {"snapshot_s": t1 - t0, "schedule_s": t2 - t1, "total_s": t2 - t0}


def baseline(n_ue: int) -> float:
    rng = np.random.default_rng(0)
    cxy = hex_cells(ISD).xy
    xy = rng.uniform(-2 * ISD, 2 * ISD, (n_ue, 2))
    return best_of(3, lambda: np.hypot(xy[:, None, 0] - cxy[None, :, 0], xy[:, None, 1] - cxy[None, :, 1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ues", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--interval-ms", type=float, default=10.0, help="scheduler interval (1 = per TTI)")
    args = ap.parse_args()
    print(f"# radio bench: 57 cells (19 sites, ISD {ISD:.0f} m), Band 14, 1 s of traffic, "
          f"scheduler interval {args.interval_ms:g} ms")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, numpy {np.__version__}, "
          f"OMP/BLAS threads={os.environ.get('OMP_NUM_THREADS', 'default')}")
    one_run(1000, args.interval_ms / 1e3)  # warm-up
    print(f"{'UEs':>8} {'snapshot s':>11} {'schedule s':>11} {'total s':>9} {'baseline s':>11} {'x baseline':>11}"
          f" {'x 1k run':>9}")
    first = None
    for n in args.ues:
        runs = [one_run(n, args.interval_ms / 1e3, seed) for seed in range(3 if n <= 10_000 else 1)]
        best = min(runs, key=lambda r: r["total_s"])
        base = baseline(n)
        first = first or best["total_s"]
        print(f"{n:>8} {best['snapshot_s']:>11.3f} {best['schedule_s']:>11.3f} {best['total_s']:>9.3f}"
              f" {base:>11.4f} {best['total_s'] / base:>11.0f} {best['total_s'] / first:>9.2f}")


if __name__ == "__main__":
    main()
