"""A generated town as an OpenStreetMap XML file: a jittered street grid near Belize City with mixed road classes,
one-way streets both ways round, `maxspeed` in km/h and mph on some ways, bent streets (a shape node mid-block)
and footpaths that routing must leave out. Used by bench/roads_vs_sumo.py and its test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from traffic.utm import to_lonlat

CENTRE_UTM = (373000.0, 1935000.0)  # Belize City
MAXSPEEDS = ("30", "40", "60", "25 mph", "35 mph")


@dataclass(frozen=True)
class Town:
    path: Path
    junctions: dict[int, tuple[float, float]]  # OSM node id -> (lon, lat) of every street crossing
    ways: int


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict[str, str]]]) -> str:
    """OSM XML of nodes (id -> lon, lat) and ways (node ids, tags), way ids counting from 1."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="psn bench/osm_town.py">']
    lines += [f'  <node id="{n}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>' for n, (lon, lat) in nodes.items()]
    for way_id, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _street_class(index: int) -> str:
    if index % 6 == 0:
        return "primary"
    if index % 3 == 0:
        return "secondary"
    return "tertiary" if index % 4 == 1 else "residential"


def write_town(path: Path, size: int = 14, block_m: float = 160.0, seed: int = 1) -> Town:
    """`size` x `size` crossings, one way per block; returns where the crossings are."""
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-0.2, 0.2, (size, size, 2)) * block_m
    grid = np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), axis=-1) * block_m + jitter
    utm = grid - grid.mean(axis=(0, 1)) + np.array(CENTRE_UTM)
    node_id = {(i, j): 1 + i * size + j for i in range(size) for j in range(size)}
    nodes: dict[int, tuple[float, float]] = {}
    for (i, j), osm_id in node_id.items():
        lon, lat = to_lonlat(utm[i, j])
        nodes[osm_id] = (round(float(lon), 7), round(float(lat), 7))
    junctions = dict(nodes)
    ways: list[tuple[list[int], dict[str, str]]] = []
    next_node = size * size + 1
    for i in range(size):
        for j in range(size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= size or j + dj >= size:
                    continue
                street = j if di else i  # the row or column the block lies on
                tags = {"highway": _street_class(street), "name": f"{'East' if di else 'North'} Street {street}"}
                draw = rng.random()
                if tags["highway"] in ("residential", "tertiary") and draw < 0.3:
                    tags["oneway"] = "yes" if draw < 0.15 else "-1"
                if rng.random() < 0.3:
                    tags["maxspeed"] = str(rng.choice(MAXSPEEDS))
                refs = [node_id[i, j], node_id[i + di, j + dj]]
                if rng.random() < 0.25:  # a bent block: one shape node off the straight line
                    middle = (utm[i, j] + utm[i + di, j + dj]) / 2 + rng.uniform(-25, 25, 2)
                    lon, lat = to_lonlat(middle)
                    nodes[next_node] = (round(float(lon), 7), round(float(lat), 7))
                    refs.insert(1, next_node)
                    next_node += 1
                ways.append((refs, tags))
    for k in range(0, size - 1, 4):  # footpaths across blocks: never routed
        ways.append(([node_id[k, k], node_id[k + 1, k + 1]], {"highway": "footway"}))
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    return Town(path, junctions, len(ways))
