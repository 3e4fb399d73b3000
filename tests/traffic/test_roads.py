import numpy as np
import pytest

from traffic import Road, RoadNetwork, load_roads
from traffic.utm import to_lonlat


@pytest.fixture(scope="module")
def belize() -> RoadNetwork:
    return load_roads()


def test_snapping_joins_the_trunk_network(belize: RoadNetwork) -> None:
    # The notes say ~100 m snapping makes the whole trunk/primary network one piece; allow tiny islands.
    assert len(belize.largest_component) > 0.97 * len(belize.xy)


def test_belize_city_to_belmopan_by_road(belize: RoadNetwork) -> None:
    city = belize.nearest_vertex(-88.196, 17.500)
    belmopan = belize.nearest_vertex(-88.770, 17.251)
    route = belize.route(city, belmopan)
    km = sum(np.linalg.norm(np.diff(belize.xy[route], axis=0), axis=1)) / 1000
    assert 70 < km < 95  # about 80 km along the George Price Highway
    minutes = belize.travel_times_from([city])[0][belmopan] / 60
    assert 50 < minutes < 80


def test_unreachable_gives_empty_route() -> None:
    network = RoadNetwork([Road("a", "trunk", [(-88.0, 17.0), (-88.01, 17.0)]),
                           Road("b", "trunk", [(-88.5, 17.5), (-88.51, 17.5)])])
    assert network.route(0, 3) == []
    assert network.route(0, 1) == [0, 1]


def test_ways_meeting_at_one_point_are_one_node_without_twin_or_zero_length_edges() -> None:
    # Two ways in a straight line, 60 m vertex spacing, meeting at the point Q (each holds its own copy of it):
    # P - Q and Q - R. Snapping (100 m) joins each end to the other way's vertices within reach: the copies of Q
    # (0 m), P - Q', Q - R (twins of the roads). One node at Q leaves the road P - Q - R: 3 nodes, 4 directed
    # edges of 60 m.
    xy = np.array([[373000.0, 1935000.0], [373060.0, 1935000.0], [373120.0, 1935000.0]])
    p, q, r = (tuple(map(float, point)) for point in to_lonlat(xy))
    graph = RoadNetwork([Road("A", "primary", [p, q]), Road("B", "primary", [q, r])]).graph()
    assert graph.nodes == 3
    assert graph.edges == 4
    assert graph.length_m == pytest.approx([60.0] * 4, abs=0.5)
