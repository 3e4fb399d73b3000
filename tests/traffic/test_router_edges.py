"""Router.route_edges on the hand-drawn graph of test_router.py: the edges of each quickest way, by hand.

    D (0,1000) ——— 20 m/s ——— C (1000,1000)        A-B 50 s, B->C 100 s (one way), C-D 50 s, D-A 100 s
    |                          ^
    10 m/s                     10 m/s, B -> C only
    |                          |
    A (0,0) ——— 20 m/s ——— B (1000,0)              E-F: an island
"""

import numpy as np
import pytest

from tests.traffic.test_router import NAMES, lonlat, router  # noqa: F401  (router is a fixture)
from traffic.router import Router


def edges(r: Router, *nodes: str) -> list[int]:
    """The edge index of each consecutive pair of named nodes."""
    ids = [NAMES.index(n) for n in nodes]
    return r.graph.edge_index(np.array(ids[:-1]), np.array(ids[1:])).tolist()


@pytest.mark.parametrize(("start", "end", "path"), [
    # From 200 m along A-B to the middle of C-D: via A (10 + 100 + 25 s) beats via B (40 + 100 + 25 s); the
    # start edge is driven towards A, so it is B->A.
    ((200, 0), (500, 1000), "BADC"),
    # Back: C->B is against the one-way street, so via D: C->D, D->A, then A->B to the point.
    ((500, 1000), (200, 0), "CDAB"),
    # Along one segment, both ways.
    ((200, 0), (800, 0), "AB"),
    ((800, 0), (200, 0), "BA"),
    # From node A itself: no edge before it.
    ((0, 0), (500, 1000), "ADC"),
    # To node B itself from beside A: A->B only.
    ((200, 0), (1000, 0), "AB"),
    # B to C the one way; C to B the long way round, starting on B->C itself (the point drives on to C) and
    # ending on it again.
    ((1000, 100), (1000, 900), "BC"),
    ((1000, 900), (1000, 100), "BCDABC"),
])
def test_the_edges_of_the_quickest_way(router: Router, start: tuple[int, int], end: tuple[int, int],  # noqa: F811
                                       path: str) -> None:
    assert router.route_edges(lonlat(*start), lonlat(*end)).tolist() == edges(router, *path)


def test_no_way_gives_no_edges(router: Router) -> None:  # noqa: F811
    assert router.route_edges(lonlat(200, 0), lonlat(5500, 5000)).tolist() == []
    assert router.route_edges((float("nan"), 17.0), lonlat(500, 1000)).tolist() == []
