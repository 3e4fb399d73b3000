"""The shipped network as a directed graph: the same travel times as RoadNetwork, and Belize City -> Belmopan."""

import numpy as np
import pytest

from traffic import RoadNetwork, load_roads
from traffic.router import Router

BELIZE_CITY = (-88.1962, 17.4986)
BELMOPAN = (-88.7590, 17.2510)


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_roads()


@pytest.fixture(scope="module")
def router(network: RoadNetwork) -> Router:
    return Router(network.graph())


def test_belize_city_to_belmopan_by_road(router: Router) -> None:
    # About 80 km of the George Price Highway at 80 km/h, plus the roads in and out: the 55-90 minutes.
    minutes = router.travel_times_to(BELMOPAN, [BELIZE_CITY])[0] / 60
    assert 55 < minutes < 90
    seconds, path = router.route(BELIZE_CITY, BELMOPAN)
    assert seconds == pytest.approx(minutes * 60)
    assert path[0] == BELIZE_CITY and path[-1] == BELMOPAN and len(path) > 5


def test_travel_times_between_vertices_do_not_change(network: RoadNetwork, router: Router) -> None:
    # RoadNetwork (undirected, unchanged by this graph) is the record of today's times; both directions equal.
    rng = np.random.default_rng(5)
    sources = rng.choice(network.largest_component, 6, replace=False)
    targets = rng.choice(network.largest_component, 20, replace=False)
    before = network.travel_times_from(sources)
    lonlat = network.lonlat(network.xy)
    for j in targets:
        after = router.travel_times_to(tuple(lonlat[j]), lonlat[sources])
        # RoadNetwork joins coincident vertices of two roads by a 1 ms snap edge; the graph makes them one node,
        # so its times are shorter by 1 ms per such junction on the way (3 ms seen here), never longer.
        np.testing.assert_allclose(after, before[:, j], rtol=1e-9, atol=0.01)
        assert (after <= before[:, j] + 1e-6).all()
