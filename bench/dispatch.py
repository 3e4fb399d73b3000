"""Recommendation ranking latency: road travel times from 2,000 units to an incident, one reverse search.

Two networks: the shipped Belize trunk and primary roads (`traffic.load_roads().graph()`), and a generated
city-size grid (`--grid` crossings a side, jittered, 10 % of its blocks one-way; ≥ 100,000 directed edges at the
default 170). Each ranking is one `Router.travel_times_to(incident, units)` for `--units` units at random road
positions up to 30 m off the road, the incident at a random place too: snapping of all units, the one Dijkstra
and the lookups, timed whole. Baseline in the same run: one search per unit (the same call with one unit at a
time) for `--baseline-rankings` rankings. Prints p50/p99 and writes bench/results/dispatch-<UTC>.json.

    .venv/bin/python -m bench.dispatch --rankings 200 --baseline-rankings 3
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from bench import raw_results
from traffic import load_roads
from traffic.graph import RoadGraph
from traffic.router import Router
from traffic.utm import to_lonlat

CITY_CENTRE = np.array([373000.0, 1935000.0])


def city_grid(size: int, block_m: float = 120.0, seed: int = 3) -> RoadGraph:
    """`size` x `size` jittered crossings, every block a residential street, 10 % of them one-way."""
    rng = np.random.default_rng(seed)
    xy = (np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), axis=-1).reshape(-1, 2) * block_m
          + rng.uniform(-0.2, 0.2, (size * size, 2)) * block_m)
    xy += CITY_CENTRE - xy.mean(axis=0)
    index = np.arange(size * size).reshape(size, size)
    a = np.concatenate([index[:-1, :].ravel(), index[:, :-1].ravel()])
    b = np.concatenate([index[1:, :].ravel(), index[:, 1:].ravel()])
    one_way = rng.random(len(a)) < 0.1
    tail = np.concatenate([a, b[~one_way]])
    head = np.concatenate([b, a[~one_way]])
    speed = np.full(len(tail), 25 / 3.6)
    return RoadGraph.build(xy, tail, head, speed, ["residential"] * len(tail), [""] * len(tail))


def road_positions(graph: RoadGraph, count: int, rng: np.random.Generator) -> np.ndarray:
    """(lon, lat) of `count` points along random edges, up to 30 m off the road."""
    edge = rng.integers(0, graph.edges, count)
    along = rng.random(count)[:, None]
    xy = graph.xy[graph.tail[edge]] + along * (graph.xy[graph.head[edge]] - graph.xy[graph.tail[edge]])
    return to_lonlat(xy + rng.uniform(-30, 30, (count, 2)))


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()), "rankings": len(ms)}


def measure(name: str, graph: RoadGraph, units: int, rankings: int, baseline_rankings: int,
            rng: np.random.Generator) -> dict[str, Any]:
    router = Router(graph)
    one_search, per_unit, reached = [], [], []
    for i in range(rankings + baseline_rankings):
        fleet = road_positions(graph, units, rng)
        incident = tuple(float(v) for v in road_positions(graph, 1, rng)[0])
        start = time.perf_counter()
        seconds = router.travel_times_to((incident[0], incident[1]), fleet)
        one_search.append(time.perf_counter() - start)
        reached.append(float(np.isfinite(seconds).mean()))
        if i >= rankings:  # the baseline on the same fleet and incident
            start = time.perf_counter()
            each = [router.travel_times_to((incident[0], incident[1]), fleet[k:k + 1])[0] for k in range(units)]
            per_unit.append(time.perf_counter() - start)
            np.testing.assert_allclose(each, seconds, rtol=1e-9)
    return {"network": name, "nodes": graph.nodes, "directed_edges": graph.edges, "units": units,
            "one_search": percentiles(one_search[:rankings]),
            "one_search_per_unit": percentiles(per_unit) if per_unit else None,
            "units_reached_fraction": float(np.mean(reached))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--rankings", type=int, default=200)
    parser.add_argument("--baseline-rankings", type=int, default=3)
    parser.add_argument("--grid", type=int, default=170, help="crossings per side of the generated city")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    networks = [("shipped Belize trunk and primary", load_roads().graph()),
                (f"generated city grid {args.grid}x{args.grid}", city_grid(args.grid))]
    figures = {"runs": [measure(name, graph, args.units, args.rankings, args.baseline_rankings, rng)
                        for name, graph in networks]}
    print(json.dumps(figures, indent=2))
    print(f"raw results: {raw_results.save('dispatch', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
