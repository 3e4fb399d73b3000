"""A SUMO scenario whose edges are psn's: one SUMO edge `e{i}` per directed edge i of a `traffic.graph.RoadGraph`.

The network is written as netconvert plain XML from the graph itself (node ids = graph node indices, nodes at the
graph's UTM 16N metres with `--offset.disable-normalization`, so SUMO's x, y ARE UTM metres; every edge kept as
is: no geometry removal, no junction joining, no internal links so lengths run junction centre to centre as
psn's do), so comparing SUMO's per-edge figures with psn's needs no geometric guessing. Lanes by class: 2 for
trunk, 1 otherwise (LANES). Two graphs are offered: a clip of the shipped Belize roads (`clip`) and a generated
town (`town`: a jittered grid with a two-lane trunk avenue through it).

Demand: `Flow`s (from/to edges, routed by SUMO at insertion) and optional background random trips
(`randomTrips.py`). The injected incident is a `Closure`: a vehicle stopped mid-edge on each closed lane for
[begin, end), a breakdown that traffic squeezes past in the lanes left open. (A `<closingLaneReroute>` was tried
first: traffic then merges before the edge and passes it at lane capacity, so the queue grows upstream and the
closed edge itself kept 82 % of its speed, measured.) Ground truth: `<edgeData period="300">` mean speeds of the
traffic (not the stopped vehicles), and the FCD (1 s) as CSV.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sumo
import sumolib

from traffic.graph import FloatArray, IntArray, RoadGraph

LANES = {"trunk": 2}  # lanes per direction by class; every other class: 1
PRIORITY = {"trunk": 10, "primary": 8, "secondary": 6, "tertiary": 4}  # junction right of way; others 2
EDGE_DATA_S = 300.0
BIN = Path(sumo.SUMO_HOME) / "bin"
ENV = {**os.environ, "SUMO_HOME": sumo.SUMO_HOME}  # unset, sumo warns and randomTrips cannot find its tools


@dataclass(frozen=True, slots=True)
class Flow:
    origin: int  # graph edge the vehicles depart on
    destination: int  # graph edge they arrive on
    begin: float
    end: float
    veh_per_hour: float


@dataclass(frozen=True, slots=True)
class Closure:
    edge: int
    begin: float
    end: float
    lanes: tuple[int, ...] = (0,)  # SUMO lane indices blocked (0 = rightmost)


@dataclass(frozen=True)
class Scenario:
    graph: RoadGraph
    duration_s: float
    flows: tuple[Flow, ...]
    closure: Closure | None = None
    background_period_s: float | None = None  # one random trip every this many seconds; None: none
    seed: int = 1
    shipped_edges: IntArray | None = field(default=None, repr=False)  # graph edge -> shipped edge, for clips


@dataclass(frozen=True, slots=True)
class Run:
    folder: Path
    net: Path
    fcd: Path
    edge_data: Path


def clip(graph: RoadGraph, bbox: tuple[float, float, float, float]) -> tuple[RoadGraph, IntArray]:
    """The edges with both ends inside bbox (UTM west, south, east, north), re-indexed; and for each of the
    sub-graph's edges the index of the same edge in `graph`."""
    west, south, east, north = bbox
    x, y = graph.xy[:, 0], graph.xy[:, 1]
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    keep = np.flatnonzero(inside[graph.tail] & inside[graph.head])
    nodes = np.unique(np.concatenate([graph.tail[keep], graph.head[keep]]))
    renumber = np.full(graph.nodes, -1, dtype=np.intp)
    renumber[nodes] = np.arange(len(nodes))
    sub = RoadGraph.build(graph.xy[nodes], renumber[graph.tail[keep]], renumber[graph.head[keep]],
                          graph.speed_mps[keep], [graph.road_class[i] for i in keep], [graph.name[i] for i in keep])
    return sub, graph.edge_index(nodes[sub.tail], nodes[sub.head])


def town(size: int = 6, block_m: float = 250.0, seed: int = 1, centre: tuple[float, float] = (373000.0, 1935000.0)
         ) -> RoadGraph:
    """A jittered `size` x `size` grid of two-way streets (50 km/h residential), its middle row a trunk avenue
    running east-west (80 km/h, 2 lanes) and its middle column a primary street running north-south (60 km/h)."""
    rng = np.random.default_rng(seed)
    ij = np.stack(np.meshgrid(np.arange(size), np.arange(size), indexing="ij"), axis=-1).reshape(-1, 2)
    xy = ij * block_m + rng.uniform(-0.15, 0.15, ij.shape) * block_m
    xy += np.array(centre) - xy.mean(axis=0)
    tail, head, speed, cls, name = [], [], [], [], []
    middle = size // 2
    for i in range(size):
        for j in range(size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= size or j + dj >= size:
                    continue
                a, b = i * size + j, (i + di) * size + j + dj
                road, kmh, label = "residential", 50.0, f"Street {i}-{j}"
                if di == 1 and j == middle:
                    road, kmh, label = "trunk", 80.0, "Avenue"
                elif dj == 1 and i == middle:
                    road, kmh, label = "primary", 60.0, "Cross Street"
                tail += [a, b]
                head += [b, a]
                speed += [kmh / 3.6] * 2
                cls += [road] * 2
                name += [label] * 2
    return RoadGraph.build(xy, tail, head, speed, cls, name)


def write_plain(graph: RoadGraph, folder: Path) -> tuple[Path, Path]:
    """netconvert node and edge files: node i at the graph's xy, edge `e{i}` from tail to head, the graph's
    speed and length, lanes and priority by class."""
    nodes, edges = folder / "graph.nod.xml", folder / "graph.edg.xml"
    rows = [f'  <node id="{i}" x="{x:.3f}" y="{y:.3f}" type="priority"/>' for i, (x, y) in enumerate(graph.xy)]
    nodes.write_text("<nodes>\n" + "\n".join(rows) + "\n</nodes>\n", encoding="utf-8")
    rows = [f'  <edge id="e{e}" from="{graph.tail[e]}" to="{graph.head[e]}" speed="{graph.speed_mps[e]:.6f}" '
            f'numLanes="{LANES.get(graph.road_class[e], 1)}" priority="{PRIORITY.get(graph.road_class[e], 2)}" '
            f'length="{max(graph.length_m[e], 0.1):.3f}"/>' for e in range(graph.edges)]
    edges.write_text("<edges>\n" + "\n".join(rows) + "\n</edges>\n", encoding="utf-8")
    return nodes, edges


def netconvert(graph: RoadGraph, folder: Path) -> Path:
    out = folder / "graph.net.xml"
    nodes, edges = write_plain(graph, folder)
    subprocess.run([str(BIN / "netconvert"), "--node-files", str(nodes), "--edge-files", str(edges),
                    "--output-file", str(out), "--offset.disable-normalization", "true",
                    "--geometry.remove", "false", "--junctions.join", "false", "--no-internal-links", "true",
                    "--roundabouts.guess", "false", "--ramps.guess", "false", "--tls.guess", "false",
                    "--edges.join", "false", "--no-warnings", "true"],
                   check=True, capture_output=True, text=True, timeout=300)
    return out


def sumo_edges(graph: RoadGraph, net: Path) -> tuple[FloatArray, FloatArray]:
    """SUMO's length and speed of each graph edge (NaN where netconvert left the edge out)."""
    read = sumolib.net.readNet(str(net))
    length, speed = np.full(graph.edges, np.nan), np.full(graph.edges, np.nan)
    for e in range(graph.edges):
        if read.hasEdge(f"e{e}"):
            edge = read.getEdge(f"e{e}")
            length[e], speed[e] = edge.getLength(), edge.getSpeed()
    return length, speed


def write_additional(folder: Path, edge_data: Path) -> Path:
    """edgeData per EDGE_DATA_S of the traffic only (vTypes: the incident's stopped vehicles are not traffic)."""
    path = folder / "scenario.add.xml"
    path.write_text(f'<additional>\n  <edgeData id="truth" period="{EDGE_DATA_S:g}" file="{edge_data.name}" '
                    f'excludeEmpty="true" vTypes="DEFAULT_VEHTYPE"/>\n</additional>\n', encoding="utf-8")
    return path


def incident_rows(graph: RoadGraph, closure: Closure) -> list[str]:
    """One vehicle per closed lane, stopped near the end of the edge for the closure: a breakdown blocking the
    lane, the queue behind it on the edge itself (stopped mid-edge, half the edge ran free past it)."""
    at = max(graph.length_m[closure.edge] - 20.0, 0.0)
    rows = [f'  <route id="incident" edges="e{closure.edge}"/>']
    for lane in closure.lanes:
        rows += [f'  <vehicle id="incident.{lane}" type="incident" route="incident" depart="{closure.begin:g}" '
                 f'departLane="{lane}" departPos="{at:.2f}" departSpeed="0" insertionChecks="none">',
                 f'    <stop lane="e{closure.edge}_{lane}" endPos="{at + 0.1:.2f}" '
                 f'duration="{closure.end - closure.begin:g}"/>', "  </vehicle>"]
    return rows


def write_routes(folder: Path, scenario: Scenario) -> Path:
    path = folder / "flows.rou.xml"
    # SUMO reads a route file in departure order: flows (from t = 0 here) before the incident.
    rows = [f'  <flow id="f{k}" from="e{f.origin}" to="e{f.destination}" begin="{f.begin:g}" end="{f.end:g}" '
            f'vehsPerHour="{f.veh_per_hour:g}" departLane="best" departSpeed="max"/>'
            for k, f in enumerate(scenario.flows)]
    if scenario.closure is not None:
        rows[:0] = ['  <vType id="incident" length="5" color="red"/>']
        rows += incident_rows(scenario.graph, scenario.closure)
    path.write_text("<routes>\n" + "\n".join(rows) + "\n</routes>\n", encoding="utf-8")
    return path


def random_trips(folder: Path, net: Path, scenario: Scenario) -> Path:
    path = folder / "background.trips.xml"
    assert scenario.background_period_s is not None
    subprocess.run([sys.executable, str(Path(sumo.SUMO_HOME) / "tools" / "randomTrips.py"), "-n", str(net),
                    "-o", str(path), "-e", f"{scenario.duration_s:g}", "-p", f"{scenario.background_period_s:g}",
                    "--seed", str(scenario.seed), "--prefix", "bg", "--min-distance", "300"],
                   check=True, capture_output=True, text=True, timeout=300, env=ENV, cwd=folder)
    if scenario.closure is not None:
        _no_trips_from(path, scenario.closure.edge)
    return path


def _no_trips_from(path: Path, edge: int) -> None:
    """Drops the background trips that start on the closed edge. SUMO inserts the vehicles departing on one edge
    in order, so a trip stuck there held the breakdown back: on the town (seed 1) it entered at 746 s, not 600 s,
    and the detection delays were counted from a closure that had not begun."""
    text = path.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if f'from="e{edge}"' not in line]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def run(scenario: Scenario, folder: Path) -> Run:
    """Builds the network and demand in `folder`, runs SUMO, returns where its outputs are."""
    folder.mkdir(parents=True, exist_ok=True)
    net = netconvert(scenario.graph, folder)
    fcd, edge_data = folder / "fcd.csv", folder / "edgedata.xml"
    routes = [write_routes(folder, scenario)]
    if scenario.background_period_s is not None:
        routes.append(random_trips(folder, net, scenario))
    subprocess.run([str(BIN / "sumo"), "-n", str(net), "-r", ",".join(str(r) for r in routes),
                    "-a", str(write_additional(folder, edge_data)),
                    "--begin", "0", "--end", f"{scenario.duration_s:g}", "--step-length", "1",
                    "--seed", str(scenario.seed), "--fcd-output", str(fcd),
                    "--fcd-output.attributes", "x,y,angle,speed,lane", "--ignore-route-errors", "true",
                    "--no-step-log", "true", "--no-warnings", "true"],
                   check=True, capture_output=True, text=True, timeout=1800, cwd=folder, env=ENV)
    return Run(folder, net, fcd, edge_data)
