"""psn's road travel times against SUMO's router on the same OpenStreetMap file with the same speeds.

A generated town (bench/osm_town.py: a jittered grid, mixed classes, one-way streets, maxspeed in km/h and mph,
bent blocks, footpaths) goes through psn's importer (`traffic.osm.load_osm`) and through SUMO's `netconvert
--osm-files`, given a type map with psn's class speeds (CLASS_KMH) so both see the same speed on every way
without `maxspeed`; SUMO reads `maxspeed` and `oneway` itself. Between random pairs of street crossings (at
node positions, so no snapping differs), psn's time is one `Router.travel_times_to`, SUMO's the quickest of
sumolib's `getFastestPath` between an edge leaving the origin and one entering the destination (its cost
counts both whole). Prints the median and 95th-percentile relative difference and the worst pairs; writes the
raw JSON to bench/results/roads_vs_sumo-<UTC>.json.

    .venv/bin/python -m bench.roads_vs_sumo --pairs 500
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import sumo
import sumolib

from bench import raw_results
from bench.osm_town import write_town
from traffic.osm import CLASS_KMH, IMPLIED_ONEWAY, load_osm
from traffic.router import Router


def write_types(path: Path) -> Path:
    """A netconvert type map giving each drivable highway class psn's speed (m/s) and implied one-way rule."""
    rows = [f'  <type id="highway.{road_class}" priority="{len(CLASS_KMH) - i}" numLanes="1" '
            f'speed="{kmh / 3.6:.9f}" oneway="{str(road_class in IMPLIED_ONEWAY).lower()}"/>'
            for i, (road_class, kmh) in enumerate(CLASS_KMH.items())]
    path.write_text("<types>\n" + "\n".join(rows) + "\n</types>\n", encoding="utf-8")
    return path


def netconvert(osm: Path, workdir: Path) -> Path:
    out = workdir / "net.net.xml"
    binary = Path(sumo.SUMO_HOME) / "bin" / "netconvert"
    subprocess.run([str(binary), "--osm-files", str(osm), "--type-files", str(write_types(workdir / "types.typ.xml")),
                    "--no-internal-links", "true", "--output-file", str(out), "--no-warnings", "true"],
                   check=True, capture_output=True, text=True, timeout=300)
    return out


def sumo_seconds(net: Any, origin: str, destination: str) -> float:
    best = np.inf
    for leaving in net.getNode(origin).getOutgoing():
        for entering in net.getNode(destination).getIncoming():
            edges, cost = net.getFastestPath(leaving, entering)
            if edges is not None:
                best = min(best, cost)
    return float(best)


def compare(pairs: int, seed: int = 1, size: int = 14, workdir: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="roads-vs-sumo-") as scratch:
        folder = workdir or Path(scratch)
        town = write_town(folder / "town.osm", size=size, seed=seed)
        net = sumolib.net.readNet(str(netconvert(town.path, folder)))
        router = Router(load_osm(town.path).graph)
        crossings = [n for n in town.junctions if net.hasNode(str(n))]
        rng = np.random.default_rng(seed)
        rows = []
        for _ in range(pairs):
            origin, destination = (int(n) for n in rng.choice(crossings, 2, replace=False))
            psn_s = float(router.travel_times_to(town.junctions[destination], [town.junctions[origin]])[0])
            rows.append({"origin": origin, "destination": destination, "psn_s": psn_s,
                         "sumo_s": sumo_seconds(net, str(origin), str(destination))})
    both = [r for r in rows if np.isfinite(r["psn_s"]) and np.isfinite(r["sumo_s"])]
    for row in both:
        row["relative"] = abs(row["psn_s"] - row["sumo_s"]) / row["sumo_s"]
    relative = np.array([r["relative"] for r in both])
    worst = sorted(both, key=lambda r: -r["relative"])[:5]
    return {"osm_ways": town.ways, "crossings": len(town.junctions), "crossings_in_sumo": len(crossings),
            "pairs": pairs, "pairs_routed_by_both": len(both),
            "reachability_disagreements": int(sum(np.isfinite(r["psn_s"]) != np.isfinite(r["sumo_s"]) for r in rows)),
            "median_relative_difference": float(np.median(relative)),
            "p95_relative_difference": float(np.percentile(relative, 95)),
            "max_relative_difference": float(relative.max()),
            "median_psn_s": float(np.median([r["psn_s"] for r in both])), "worst": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roads_vs_sumo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--size", type=int, default=14, help="crossings per side of the generated town")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = compare(args.pairs, args.seed, args.size)
    print(json.dumps({k: v for k, v in figures.items() if k != "worst"}, indent=2))
    for row in figures["worst"]:
        print(f"  {row['origin']} -> {row['destination']}: psn {row['psn_s']:.1f} s, SUMO {row['sumo_s']:.1f} s "
              f"({100 * row['relative']:.2f} %)")
    print(f"raw results: {raw_results.save('roads_vs_sumo', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
