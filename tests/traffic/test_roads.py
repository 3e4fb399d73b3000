import numpy as np
import pytest

from traffic import Road, RoadNetwork, load_roads


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
