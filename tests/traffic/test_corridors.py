"""Corridors: live time, index and coverage worked out by hand; the shipped corridors' routes are sane."""

import numpy as np
import pytest

from traffic import RoadGraph, Router, load_roads
from traffic.corridors import DEFAULT_CORRIDORS, corridor_edges, corridor_times

# A -(1000 m at 20 m/s)- B -(500 m at 10 m/s)- C, both ways.
GRAPH = RoadGraph.build(np.array([[300000.0, 1900000.0], [301000, 1900000], [301500, 1900000]]),
                        [0, 1, 1, 2], [1, 0, 2, 1], [20, 20, 10, 10], ["trunk"] * 4, ["x"] * 4)


def test_times_index_and_coverage_by_hand() -> None:
    ab, bc = int(GRAPH.edge_index(np.array([0]), np.array([1]))[0]), int(GRAPH.edge_index(np.array([1]),
                                                                                            np.array([2]))[0])
    speeds = np.full(GRAPH.edges, np.nan)
    speeds[bc] = 5.0
    [row, empty] = corridor_times(GRAPH, {"a-c": np.array([ab, bc]), "none": np.array([], dtype=np.intp)}, speeds)
    # Free flow 1000/20 + 500/10 = 100 s; live 50 + 500/5 = 150 s; 500 of 1500 m measured.
    assert (row.id, row.free_flow_s, row.travel_s, row.index, row.length_m) == ("a-c", 100.0, 150.0, 1.5, 1500.0)
    assert row.coverage == pytest.approx(1 / 3)
    assert (empty.free_flow_s, empty.travel_s, empty.index, empty.coverage) == (0.0, 0.0, 1.0, 0.0)
    speeds[ab] = -3.0  # not a speed: free flow stands in
    assert corridor_times(GRAPH, {"a-c": np.array([ab, bc])}, speeds)[0].travel_s == 150.0
    with pytest.raises(ValueError):
        corridor_times(GRAPH, {}, np.ones(3))


@pytest.fixture(scope="module")
def shipped() -> Router:
    return Router(load_roads().graph())


# Road distances between the town centres (km): Belize City–Belmopan about 80 by the George Price Highway
# (mile 0 to Belmopan's turn-off near mile 47, 76 km, plus the way in), Belmopan–San Ignacio about 37 (22 mi),
# Belize City–Orange Walk about 86 (mile 53 of the Philip Goldson Highway), Orange Walk–Corozal about 50 (to
# mile 84), Belmopan–Dangriga about 88 (the Hummingbird Highway's 55 mi), Dangriga–Punta Gorda about 165.
REAL_KM = {"belize-city--belmopan": 80, "belmopan--san-ignacio": 37, "belize-city--orange-walk": 86,
           "orange-walk--corozal": 50, "belmopan--dangriga": 88, "dangriga--punta-gorda": 165}


def test_every_corridor_runs_both_ways_on_connected_edges_of_a_sane_length(shipped: Router) -> None:
    graph = shipped.graph
    ids = {c.id for c in DEFAULT_CORRIDORS}
    assert len(ids) == len(DEFAULT_CORRIDORS) == 2 * len(REAL_KM)
    for corridor in DEFAULT_CORRIDORS:
        a, b = corridor.id.split("--")
        assert f"{b}--{a}" in ids
        edges = corridor_edges(shipped, corridor)
        assert np.array_equal(graph.head[edges[:-1]], graph.tail[edges[1:]]), corridor.id  # one drivable chain
        km = graph.length_m[edges].sum() / 1000
        real = REAL_KM.get(corridor.id) or REAL_KM[f"{b}--{a}"]
        assert 0.85 * real < km < 1.15 * real, (corridor.id, km)
