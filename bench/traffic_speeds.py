"""Segment-speed throughput and the drop detector's false-alarm rate.

1. `SegmentSpeeds.add` on a 30,000-edge graph, batches of 5,000 samples (5,000 probes at 1 Hz, one second
   each), then one `snapshot` per batch; the baseline on the same samples is the obvious per-sample Python
   (a deque per edge and a mean over the window at snapshot time), with no outlier test at all.
2. False alarms per 100 segment-hours on steady, noisy traffic (bench/steady_traffic.py, which
   tests/traffic/test_detect_false_alarms.py runs shorter); the baseline is the same traffic with alerts raised
   on two consecutive 10 s updates instead of 60 s of a held drop.

Prints both and writes bench/results/traffic_speeds-<UTC>.json.

    .venv/bin/python -m bench.traffic_speeds --batches 60 --edges 300 --hours 10
"""

from __future__ import annotations

import argparse
import time
from collections import deque

import numpy as np

from bench import raw_results
from bench.steady_traffic import false_alarms
from traffic.detect import DetectConfig
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds

EDGES, BATCH = 30_000, 5_000


def batches(count: int, seed: int = 1) -> list[list[SpeedSample]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        edge = rng.integers(0, EDGES, BATCH)
        speed = rng.uniform(5, 30, BATCH)
        ts = i + rng.uniform(0, 1, BATCH)
        out.append([SpeedSample(int(e), float(t), float(v), True) for e, t, v in zip(edge, ts, speed, strict=True)])
    return out


def ours(data: list[list[SpeedSample]]) -> tuple[float, float]:
    speeds = SegmentSpeeds(np.full(EDGES, 25.0))
    add_s = snap_s = 0.0
    for i, batch in enumerate(data):
        t0 = time.perf_counter()
        speeds.add(batch)
        t1 = time.perf_counter()
        speeds.snapshot(i + 1.0)
        snap_s += time.perf_counter() - t1
        add_s += t1 - t0
    return add_s, snap_s


def naive(data: list[list[SpeedSample]]) -> tuple[float, float]:
    held: list[deque[tuple[float, float]]] = [deque(maxlen=32) for _ in range(EDGES)]
    add_s = snap_s = 0.0
    for i, batch in enumerate(data):
        t0 = time.perf_counter()
        for s in batch:
            held[s.edge].append((s.ts, s.speed_mps))
        t1 = time.perf_counter()
        now = i + 1.0
        [np.mean([v for t, v in d if now - 300 < t <= now]) if d else np.nan for d in held]
        snap_s += time.perf_counter() - t1
        add_s += t1 - t0
    return add_s, snap_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--edges", type=int, default=300)
    parser.add_argument("--hours", type=float, default=10.0)
    args = parser.parse_args()
    data = batches(args.batches)
    n = args.batches * BATCH
    add_s, snap_s = ours(data)
    base_add_s, base_snap_s = naive(data)
    print(f"add: {n / add_s:,.0f} samples/s (baseline per-sample Python: {n / base_add_s:,.0f}); "
          f"snapshot of {EDGES:,} edges: {snap_s / args.batches * 1000:.1f} ms "
          f"(baseline: {base_snap_s / args.batches * 1000:.1f} ms)")
    hours = args.edges * args.hours
    alarms = false_alarms(args.edges, args.hours, seed=7)
    loose = false_alarms(args.edges, args.hours, seed=7, config=DetectConfig(confirm_s=10.0))
    print(f"false alarms: {alarms} in {hours:,.0f} segment-hours = {100 * alarms / hours:.2f} per 100 "
          f"(baseline, two updates 10 s apart: {loose} = {100 * loose / hours:.2f} per 100)")
    path = raw_results.save("traffic_speeds", {
        "samples": n, "add_samples_per_s": n / add_s, "baseline_add_samples_per_s": n / base_add_s,
        "snapshot_ms": snap_s / args.batches * 1000, "baseline_snapshot_ms": base_snap_s / args.batches * 1000,
        "segment_hours": hours, "false_alarms": alarms, "baseline_false_alarms": loose})
    print(f"raw: {path}")


if __name__ == "__main__":
    main()
