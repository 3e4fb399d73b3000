"""Traffic analytics benchmarks, one sub-command each.

`matching`: map-matching throughput on one core (points/s) on the shipped Belize network. `--vehicles` vehicles
(default 5,000) drive random walks at 10-30 m/s with 10 m Gaussian GPS noise and a reported heading; they report at
1 Hz for `--seconds` rounds (one `Matcher.push_many` per round, all vehicles at once), then, with fresh state, every
60 s for `--sparse-rounds` rounds. The baseline from the same run: bare nearest-segment snapping
(`SegmentIndex.snap`) of the same batches. Times are CPU seconds of this process (`time.process_time`): these 2-core
machines are shared, and wall time counts the neighbours' work. `--profile` prints where the 1 Hz time goes
(cProfile). Prints the figures and writes bench/results/traffic-<UTC>.json.

    .venv/bin/python -m bench.traffic matching --vehicles 5000 --seconds 60 --sparse-rounds 10

`latency`: probe-to-segment-update latency under N units at R Hz through a real Mosquitto and psn, with the same
fixes' latency to the live map as the baseline (bench/traffic_latency.py says how).

    .venv/bin/python -m bench.traffic latency --units 5000 --rate 1 --warmup 10 --duration 30 --tick 1

`boundary`: psn's CPU to take one second of the matcher's answers from its child, packed arrays against pickled
objects (bench/traffic_boundary.py says how).

    .venv/bin/python -m bench.traffic boundary --units 5000 --rounds 20
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from typing import Any

import numpy as np

from bench import raw_results, traffic_boundary, traffic_latency
from traffic import load_roads
from traffic.graph import RoadGraph
from traffic.matching import Matcher, Outcome

NOISE_M = 10.0


def walks(graph: RoadGraph, vehicles: int, metres: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Random walks (edge lists) at least `metres` long: at each node a random way on, back only at a dead end."""
    out_edges = np.argsort(graph.tail, kind="stable")
    first = np.searchsorted(graph.tail[out_edges], np.arange(graph.nodes + 1))
    found = []
    for _ in range(vehicles):
        edge = int(rng.integers(graph.edges))
        walk, length = [edge], float(graph.length_m[edge])
        while length < metres:
            node = graph.head[walk[-1]]
            ways = out_edges[first[node]:first[node + 1]]
            onward = ways[graph.head[ways] != graph.tail[walk[-1]]]
            edge = int(rng.choice(onward if len(onward) else ways))
            walk.append(edge)
            length += float(graph.length_m[edge])
        found.append(np.array(walk))
    return found


def traces(graph: RoadGraph, vehicles: int, rounds: int, every_s: float, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rounds, vehicles) times, (rounds, vehicles, 2) noisy positions and headings along random walks."""
    speed = rng.uniform(10.0, 30.0, vehicles)
    xy = np.empty((rounds, vehicles, 2))
    heading = np.empty((rounds, vehicles))
    for v, walk in enumerate(walks(graph, vehicles, 30.0 * every_s * rounds, rng)):
        ends = np.concatenate([[0.0], np.cumsum(graph.length_m[walk])])
        at = speed[v] * every_s * np.arange(rounds)
        which = np.minimum(np.searchsorted(ends, at, side="right") - 1, len(walk) - 1)
        edge = walk[which]
        vector = graph.xy[graph.head[edge]] - graph.xy[graph.tail[edge]]
        frac = np.divide(at - ends[which], graph.length_m[edge], out=np.zeros(rounds), where=graph.length_m[edge] > 0)
        xy[:, v] = graph.xy[graph.tail[edge]] + frac[:, None] * vector
        heading[:, v] = np.degrees(np.arctan2(vector[:, 0], vector[:, 1])) % 360
    ts = 1_000_000.0 + every_s * np.arange(rounds)[:, None] + np.zeros(vehicles)
    return ts, xy + rng.normal(0.0, NOISE_M, xy.shape), heading


def measure(graph: RoadGraph, vehicles: int, rounds: int, every_s: float, rng: np.random.Generator,
            profile: bool) -> dict[str, Any]:
    ts, xy, heading = traces(graph, vehicles, rounds, every_s, rng)
    names = [f"v{i}" for i in range(vehicles)]
    matcher = Matcher(graph)
    speed = np.full(vehicles, np.nan)
    profiler = cProfile.Profile() if profile else None
    spent, samples = 0.0, 0
    for r in range(rounds):
        if profiler:
            profiler.enable()
        start = time.process_time()
        pushed = matcher.push_many(names, ts[r], xy[r], speed, heading[r])
        spent += time.process_time() - start
        if profiler:
            profiler.disable()
        samples += sum(len(p.samples) for p in pushed)
    snap_spent = 0.0
    for r in range(rounds):
        start = time.process_time()
        matcher.finder.index.snap(xy[r])
        snap_spent += time.process_time() - start
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    points = rounds * vehicles
    return {"every_s": every_s, "vehicles": vehicles, "rounds": rounds, "points": points,
            "matching_points_per_s": points / spent, "snap_baseline_points_per_s": points / snap_spent,
            "samples_per_point": samples / points,
            "outcomes": {o.value: n for o, n in matcher.counts.items() if n},
            "matched_fraction": matcher.counts[Outcome.MATCHED] / points}


def matching(args: argparse.Namespace) -> dict[str, Any]:
    graph = load_roads().graph()
    rng = np.random.default_rng(args.seed)
    runs = [measure(graph, args.vehicles, args.seconds, 1.0, rng, args.profile),
            measure(graph, args.vehicles, args.sparse_rounds, 60.0, rng, False)]
    return {"network": "shipped Belize trunk and primary", "nodes": graph.nodes, "directed_edges": graph.edges,
            "noise_m": NOISE_M, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.traffic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="bench", required=True)
    match = sub.add_parser("matching", help="map-matching throughput (points/s), snapping as the baseline")
    match.add_argument("--vehicles", type=int, default=5000)
    match.add_argument("--seconds", type=int, default=60, help="rounds at 1 Hz")
    match.add_argument("--sparse-rounds", type=int, default=10, help="rounds at one fix a minute")
    match.add_argument("--seed", type=int, default=17)
    match.add_argument("--profile", action="store_true")
    match.set_defaults(run=matching)
    traffic_latency.add_parser(sub)
    traffic_boundary.add_parser(sub)
    args = parser.parse_args(argv)
    figures = {"sub_command": args.bench, **args.run(args)}
    print(json.dumps(figures, indent=2))
    print(f"raw results: {raw_results.save('traffic', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
