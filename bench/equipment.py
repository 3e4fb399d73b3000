"""`psn sim network` cost per period: the pure core (`simulator.equipment`) stepping N attached units.

Run: .venv/bin/python -m bench.equipment [--units 5000] [--periods 10] [--load]
Units are dropped within 5 km of random sites of the shipped plan; 10 % stream 720p video, 2 % are uplifted.
Three cases, each the median of `--periods` steps: every unit parked (path gains cached), every unit moved
75 m since the last period (a car at 54 km/h over 5 s: every path gain recomputed), and the baseline in the same
run, `link_budget` alone on the same gain matrix (the serving cell / SINR pass every period needs anyway). Also
the cost of taking one fix (`Equipment.receive`: decode + bookkeeping), which the shell pays per message.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from simulator.equipment import Equipment
from simulator.plan import load_plan
from simulator.radio.network import link_budget
from simulator.scenario import load_scenario
from telemetry.topics import NET_POLICY_TOPIC, UnitKind, unit_topic
from traffic.utm import to_lonlat, to_utm

NOW = 1_764_612_345.0


def drop(rng: np.random.Generator, n: int) -> np.ndarray:
    plan = load_plan()
    sites = to_utm([s.lon for s in plan.sites], [s.lat for s in plan.sites])
    angle, r = rng.uniform(0, 2 * np.pi, n), 5000 * np.sqrt(rng.random(n))
    return sites[rng.integers(0, len(sites), n)] + np.column_stack([r * np.cos(angle), r * np.sin(angle)])


def feed(eq: Equipment, xy: np.ndarray, now: float) -> float:
    """Sends every unit's fix; returns the seconds per fix."""
    lonlat = to_lonlat(xy)
    payloads = [(unit_topic("police", f"P-{i}", UnitKind.TELEMETRY),
                 json.dumps({"ts": now, "lon": float(lo), "lat": float(la)}).encode())
                for i, (lo, la) in enumerate(lonlat)]
    t = time.perf_counter()
    for topic, payload in payloads:
        eq.receive(topic, payload, now)
    return (time.perf_counter() - t) / len(payloads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--load", action="store_true", help="with the carnival scenario as background load")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    eq = Equipment(load_plan(), np.random.default_rng(2), load=load_scenario() if args.load else None)
    n = args.units
    units: dict[str, dict[str, object]] = {f"police/P-{i}": {"video_ul_mbps": 1.08} for i in range(0, n, 10)}
    units |= {f"police/P-{i}": {"uplift": "UP-1", "until": NOW + 1e6} for i in range(5, n, 50)}
    eq.receive(NET_POLICY_TOPIC, json.dumps({"units": units}).encode(), NOW)
    xy = drop(rng, n)
    per_fix = feed(eq, xy, NOW)
    eq.step(NOW)  # first period: every gain computed, loads settle
    t, parked, moved, base = NOW, [], [], []
    for _ in range(args.periods):
        t += 5
        feed(eq, xy, t)
        s = time.perf_counter()
        eq.step(t)
        parked.append(time.perf_counter() - s)
    heading = rng.uniform(0, 2 * np.pi, n)
    for _ in range(args.periods):
        t += 5
        xy = xy + 75 * np.column_stack([np.cos(heading), np.sin(heading)])
        feed(eq, xy, t)
        s = time.perf_counter()
        period = eq.step(t)
        moved.append(time.perf_counter() - s)
    gains = np.vstack([eq._bg_gain, eq._unit_gains([eq._units[k] for k in sorted(eq._units)])])
    for _ in range(args.periods):
        s = time.perf_counter()
        link_budget(gains, eq.cells, eq.radio)
        base.append(time.perf_counter() - s)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, numpy {np.__version__}")
    print(f"{n} units ({len(units)} with policy entries), background {'carnival' if args.load else 'none'}, "
          f"{len(gains) - n} background UEs; {period.covered} covered, {len(period.kpis)} cells reporting")
    print(f"  receive one fix         {per_fix * 1e6:8.1f} us")
    print(f"  period, units parked    {statistics.median(parked) * 1e3:8.1f} ms (median of {args.periods})")
    print(f"  period, units moved 75 m{statistics.median(moved) * 1e3:8.1f} ms")
    print(f"  baseline: link_budget   {statistics.median(base) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
