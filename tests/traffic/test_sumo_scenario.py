"""The SUMO scenario builder (bench/sumo_scenario.py) with SUMO as the oracle: every psn edge is a SUMO edge of
the same length, speed and place, and the injected incident really slows its edge while it lasts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sumolib

from bench.sumo_output import edge_of_lane
from bench.sumo_scenario import clip, netconvert, sumo_edges, town
from tests.traffic.sumo_support import corridor_run
from traffic.graph import RoadGraph
from traffic.loader import load_roads
from traffic.utm import to_utm


def belize_city() -> RoadGraph:
    x, y = to_utm(-88.2, 17.5)[0]
    graph, shipped = clip(load_roads().graph(), (x - 2500, y - 2500, x + 2500, y + 2500))
    full = load_roads().graph()
    assert graph.edges > 20
    # The clip's edges are the shipped graph's own: same ends, same length.
    assert (shipped >= 0).all()
    assert np.allclose(graph.length_m, full.length_m[shipped])
    assert np.allclose(graph.xy[graph.tail], full.xy[full.tail[shipped]])
    return graph


@pytest.mark.parametrize("make", [town, belize_city], ids=["town", "belize-city"])
def test_every_psn_edge_is_a_sumo_edge_of_the_same_length_speed_and_place(make: Callable[[], RoadGraph],
                                                                          tmp_path: Path) -> None:
    graph = make()
    net_path = netconvert(graph, tmp_path)
    length, speed = sumo_edges(graph, net_path)
    assert not np.isnan(length).any(), "netconvert left edges out"
    assert np.abs(length - graph.length_m).max() <= 1.0
    assert np.abs(speed - graph.speed_mps).max() <= 0.01  # SUMO keeps two decimals of m/s
    net = sumolib.net.readNet(str(net_path))
    assert len([e for e in net.getEdges() if not e.getID().startswith(":")]) == graph.edges  # nothing added
    nodes = np.array([net.getNode(str(i)).getCoord() for i in range(graph.nodes)])
    assert np.abs(nodes - graph.xy).max() < 0.01  # SUMO's x, y are UTM 16N metres
    for e in (0, graph.edges // 2, graph.edges - 1):
        sumo_edge = net.getEdge(f"e{e}")
        assert (sumo_edge.getFromNode().getID(), sumo_edge.getToNode().getID()) == (str(graph.tail[e]),
                                                                                    str(graph.head[e]))
        assert sumo_edge.getLaneNumber() == (2 if graph.road_class[e] == "trunk" else 1)


def test_the_blocked_edge_slows_while_blocked_and_recovers_after() -> None:
    shared = corridor_run()
    scenario, truth = shared.scenario, shared.truth
    assert scenario.closure is not None
    assert truth.begin.tolist() == [0.0, 300.0, 600.0, 900.0]  # the breakdown is interval 2
    speed = truth.speed_mps[:, scenario.closure.edge]
    free = scenario.graph.speed_mps[scenario.closure.edge]
    assert speed[0] > 0.85 * free and speed[1] > 0.85 * free
    assert speed[2] < 0.6 * free
    assert speed[3] > speed[2] + 0.1 * free  # the queue drains once it is gone


def test_every_fcd_point_lies_on_the_psn_edge_sumo_says_it_is_on() -> None:
    shared = corridor_run()
    graph, fcd = shared.scenario.graph, shared.fcd
    assert len(fcd.ts) > 10_000 and (fcd.edge >= 0).all()
    a, b = graph.xy[graph.tail[fcd.edge]], graph.xy[graph.head[fcd.edge]]
    along = np.einsum("ij,ij->i", fcd.xy - a, b - a) / np.einsum("ij,ij->i", b - a, b - a)
    off = np.linalg.norm(fcd.xy - (a + np.clip(along, 0, 1)[:, None] * (b - a)), axis=1)
    assert off.max() < 2 * 3.2 + 0.5  # within two 3.2 m lanes to the right of the centre line
    heading = np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360  # compass, as SUMO's angle
    turn = np.abs((fcd.angle_deg - heading + 180) % 360 - 180)
    assert np.median(turn) < 1.0
    assert fcd.ts[0] == 0.0 and (np.diff(fcd.ts) >= 0).all()


def test_lane_ids_name_graph_edges() -> None:
    assert [edge_of_lane(x) for x in ("e0_0", "e12_1", ":3_0_0", "e_1", "ex_0", "")] == [0, 12, -1, -1, -1, -1]
