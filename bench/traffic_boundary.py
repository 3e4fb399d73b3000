"""What the matcher's answers cost psn's process as they cross from the matcher's child: `N` units driving the
shipped roads at 1 Hz (as bench/traffic_latency.py), matched in this process by `traffic.matching.Matcher`, one
`push_many` per second; each answer is pickled both ways the child could send it, and psn's side timed:
  - packed: `psn.traffic.packed.pack` in the child, then `pickle.loads` (what psn's result thread does now);
  - baseline: the `Pushed` objects pickled as they are, then `pickle.loads` (what it did before).
CPU seconds of this process (`time.process_time`: the machine is shared), median over the rounds, and bytes.

    .venv/bin/python -m bench.traffic boundary --units 5000 --rounds 20
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time
from typing import Any

import numpy as np

from bench.traffic_latency import SPEED_MPS, roads
from psn.traffic.packed import pack
from traffic import load_roads
from traffic.matching import Matcher


def _loads_ms(blob: bytes) -> float:
    start = time.process_time()
    pickle.loads(blob)
    return (time.process_time() - start) * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    start_xy, direction, length = roads(args.units)
    heading = np.degrees(np.arctan2(direction[:, 0], direction[:, 1])) % 360
    matcher = Matcher(load_roads().graph())
    names = [f"police/U-{i}" for i in range(args.units)]
    packed_ms, objects_ms, pack_ms, sizes = [], [], [], []
    samples = 0
    for r in range(args.rounds):
        xy = start_xy + direction * ((SPEED_MPS * r) % length)[:, None]
        pushed = matcher.push_many(names, np.full(args.units, 1_764_000_000.0 + r), xy,
                                   np.full(args.units, SPEED_MPS), heading)
        samples += sum(len(p.samples) for p in pushed)
        started = time.process_time()
        packed = pickle.dumps(pack(pushed), protocol=pickle.HIGHEST_PROTOCOL)
        pack_ms.append((time.process_time() - started) * 1000)
        objects = pickle.dumps(pushed, protocol=pickle.HIGHEST_PROTOCOL)
        packed_ms.append(_loads_ms(packed))
        objects_ms.append(_loads_ms(objects))
        sizes.append((len(packed), len(objects)))
    return {"units": args.units, "rounds": args.rounds, "samples_per_round": samples / args.rounds,
            "psn_loads_ms_packed_median": round(statistics.median(packed_ms), 2),
            "psn_loads_ms_objects_baseline_median": round(statistics.median(objects_ms), 2),
            "child_pack_and_dump_ms_median": round(statistics.median(pack_ms), 2),
            "bytes_packed": sizes[-1][0], "bytes_objects_baseline": sizes[-1][1]}


def add_parser(sub: Any) -> None:
    """`python -m bench.traffic boundary`: this benchmark's arguments."""
    boundary = sub.add_parser("boundary", help="psn's cost of taking the matcher's answers: packed arrays, "
                                               "pickled objects as the baseline")
    boundary.add_argument("--units", type=int, default=5000)
    boundary.add_argument("--rounds", type=int, default=20, help="seconds of 1 Hz fixes")
    boundary.set_defaults(run=run)
