"""Build the offline base layers of the live map from the shared Belize data.

Copies the GeoJSON layers as they are, keeps the raw ``osm-roads.json`` with the road
network (``traffic/data/belize-osm-roads.json``: routing and the demo fleet read it) and
converts it to ``roads.geojson`` so the page loads every layer the same way. The web
serves only that derived layer, and ``road-check.geojson``: what ``psn roads check`` finds in
the network with its reviewed connectors (``traffic/data/connectors.json``), and the connectors.
Re-runnable: outputs are overwritten.

    python scripts/build_base_layers.py [--src DIR] [--dst DIR] [--roads FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from traffic import DEFAULT_CONNECTORS, DEFAULT_ROADS
from traffic.check import as_geojson, check
from traffic.loader import load

ROOT = Path(__file__).resolve().parent.parent
SRC = Path("/work/shared/data/belize")
DST = ROOT / "psn" / "web" / "static" / "data" / "belize"
COPIED = ("districts.geojson", "places.geojson", "geonames-places.geojson")


def roads_to_geojson(raw: dict | list) -> dict:
    """``[{n, c, km, g: [[lon, lat], ...]}]`` (bare or under ``"roads"``) -> FeatureCollection."""
    roads = raw["roads"] if isinstance(raw, dict) else raw
    features = [
        {
            "type": "Feature",
            "properties": {"name": r.get("n"), "class": r["c"], "km": r.get("km")},
            "geometry": {"type": "LineString", "coordinates": r["g"]},
        }
        for r in roads
        if len(r["g"]) >= 2
    ]
    return {
        "type": "FeatureCollection",
        "meta": {"source": "OpenStreetMap via Overpass (osm-roads.json)", "licence": "ODbL 1.0"},
        "features": features,
    }


def build(src: Path, dst: Path, roads_out: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(src / name, dst / name)
    shutil.copyfile(src / "osm-roads.json", roads_out)
    roads = roads_to_geojson(json.loads((src / "osm-roads.json").read_text()))
    # Compact separators: these files go over weak mobile links.
    (dst / "roads.geojson").write_text(json.dumps(roads, separators=(",", ":")) + "\n")
    network = load(roads_out, DEFAULT_CONNECTORS)
    if network.refused:
        raise SystemExit("refused: " + "; ".join(network.refused))
    findings = check(network.roads)
    layer = as_geojson(findings, network.connectors)
    (dst / "road-check.geojson").write_text(json.dumps(layer, separators=(",", ":")) + "\n")
    print(f"{len(roads['features'])} roads: raw -> {roads_out}; roads.geojson, road-check.geojson "
          f"({len(findings)} findings, {len(network.connectors)} connectors) and {len(COPIED)} layers -> {dst}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC)
    parser.add_argument("--dst", type=Path, default=DST)
    parser.add_argument("--roads", type=Path, default=DEFAULT_ROADS, help="where the raw road network goes")
    args = parser.parse_args()
    build(args.src, args.dst, args.roads)


if __name__ == "__main__":
    main()
