"""The one reverse search against one forward search per unit, written here from scratch, on random graphs.

The reference snaps by brute force (every segment), splits the snapped segments at the unit and the target, and
runs a textbook Dijkstra from the unit to the target. The spec it follows: off-road legs at 15 km/h; a point
within 1 cm of a node is at the node and may leave by any of its edges; where a point is equally near two
segments either is right, so the reference gives the set of answers over the tied choices.
"""

import heapq
import itertools
import math
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from traffic.graph import RoadGraph
from traffic.router import Router
from traffic.snap import SegmentIndex
from traffic.utm import to_lonlat

ORIGIN = np.array([300000.0, 1890000.0])
OFFROAD = 15 / 3.6
AT_NODE = 0.01
Point = tuple[float, float]


def project(p: Point, a: Point, b: Point) -> tuple[float, float]:
    """Fraction along a-b of the point nearest p, and the distance to it."""
    vx, vy = b[0] - a[0], b[1] - a[1]
    squared = vx * vx + vy * vy
    t = 0.0 if squared == 0 else min(1.0, max(0.0, ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / squared))
    return t, math.hypot(p[0] - (a[0] + t * vx), p[1] - (a[1] + t * vy))


def snaps(p: Point, xy: list[Point], segments: list[tuple[int, int]]) -> list[tuple[int, float, float]]:
    """Every (segment, fraction, distance) at the least distance (ties within a micrometre)."""
    found = [(s, *project(p, xy[a], xy[b])) for s, (a, b) in enumerate(segments)]
    best = min(d for _, _, d in found)
    return [f for f in found if f[2] <= best + 1e-6]


def dijkstra(adjacency: dict[object, list[tuple[object, float]]], source: object, target: object) -> float:
    best = {source: 0.0}
    heap: list[tuple[float, int, object]] = [(0.0, 0, source)]
    counter = itertools.count(1)
    while heap:
        d, _, node = heapq.heappop(heap)
        if node == target:
            return d
        if d > best.get(node, math.inf):
            continue
        for nxt, w in adjacency[node]:
            if d + w < best.get(nxt, math.inf):
                best[nxt] = d + w
                heapq.heappush(heap, (d + w, next(counter), nxt))
    return math.inf


def reference(xy: list[Point], edges: dict[tuple[int, int], float], unit: Point, target: Point) -> list[float]:
    segments = sorted({(min(u, v), max(u, v)) for u, v in edges})
    answers = []
    for (su, fu, du), (st_, ft, dt) in itertools.product(snaps(unit, xy, segments), snaps(target, xy, segments)):
        adjacency: dict[object, list[tuple[object, float]]] = defaultdict(list)
        split = {su, st_}
        for (u, v), w in edges.items():
            if (min(u, v), max(u, v)) not in split:
                adjacency[u].append((v, w))
        for s in split:
            a, b = segments[s]
            length = math.dist(xy[a], xy[b])
            stops = sorted([(0.0, a), (1.0, b)] + [(f, name) for f, name, seg in ((fu, "U", su), (ft, "T", st_))
                                                   if seg == s], key=lambda stop: stop[0])
            for (f1, p), (f2, q) in itertools.pairwise(stops):
                if (f2 - f1) * length <= AT_NODE:  # the same place: both ways, free
                    adjacency[p].append((q, 0.0))
                    adjacency[q].append((p, 0.0))
                if (a, b) in edges:
                    adjacency[p].append((q, (f2 - f1) * edges[a, b]))
                if (b, a) in edges:
                    adjacency[q].append((p, (f2 - f1) * edges[b, a]))
        answers.append(dijkstra(adjacency, "U", "T") + (du + dt) / OFFROAD)
    return answers


coordinate = st.integers(0, 2000)
point = st.tuples(coordinate, coordinate)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Point], list[tuple[int, int, float, bool]]]:
    xy = draw(st.lists(point, min_size=2, max_size=7, unique=True))
    n = len(xy)
    roads = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from([5.0, 12.5, 25.0]),
                                    st.booleans()), min_size=1, max_size=12))
    roads = [r for r in roads if r[0] != r[1]]
    if not roads:
        roads = [(0, 1, 10.0, True)]
    return [(float(x), float(y)) for x, y in xy], roads


@settings(max_examples=150, deadline=None)
@given(networks(), point, st.lists(point, min_size=1, max_size=5))
def test_reverse_search_equals_a_forward_search_per_unit(network: tuple[list[Point], list[tuple[int, int, float,
                                                                                                   bool]]],
                                                         target: Point, units: list[Point]) -> None:
    xy, roads = network
    tail, head, speed = [], [], []
    edges: dict[tuple[int, int], float] = {}
    for u, v, mps, both in roads:
        for a, b in ([(u, v), (v, u)] if both else [(u, v)]):
            tail.append(a)
            head.append(b)
            speed.append(mps)
            seconds = math.dist(xy[a], xy[b]) / mps
            edges[a, b] = min(seconds, edges.get((a, b), math.inf))
    graph = RoadGraph.build(ORIGIN + np.array(xy), tail, head, speed, ["x"] * len(tail), ["x"] * len(tail))
    router = Router(graph)

    def lonlat(p: Point) -> tuple[float, float]:
        lon, lat = to_lonlat(ORIGIN + np.array(p, dtype=float))
        return float(lon), float(lat)

    got = router.travel_times_to(lonlat(target), [lonlat(u) for u in units])
    for seconds, unit in zip(got, units, strict=True):
        expected = reference(xy, edges, (float(unit[0]), float(unit[1])), (float(target[0]), float(target[1])))
        assert any(seconds == e or math.isclose(seconds, e, rel_tol=1e-6, abs_tol=1e-2) for e in expected), \
            (seconds, expected)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(point, point), min_size=1, max_size=30), st.lists(point, min_size=1, max_size=10),
       st.sampled_from([3.0, 50.0, 5000.0]))
def test_snapping_finds_the_nearest_segment_not_the_nearest_vertex(segments: list[tuple[Point, Point]],
                                                                   points: list[Point], spacing: float) -> None:
    xy = np.array([p for segment in segments for p in segment], dtype=float)
    a, b = np.arange(0, len(xy), 2), np.arange(1, len(xy), 2)
    found = SegmentIndex(xy, a, b, spacing_m=spacing).snap(np.array(points, dtype=float))
    for i, p in enumerate(points):
        best = min(project(p, s[0], s[1])[1] for s in segments)
        assert math.isclose(found.distance_m[i], best, rel_tol=1e-9, abs_tol=1e-9)
        start, end = xy[found.a[i]], xy[found.b[i]]
        on_segment = start + found.fraction[i] * (end - start)
        np.testing.assert_allclose(found.xy[i], on_segment, atol=1e-9)
        assert math.isclose(math.dist(p, found.xy[i]), best, rel_tol=1e-9, abs_tol=1e-9)


def test_a_long_segment_passing_close_beats_many_nearer_endpoints() -> None:
    # A 2 km road passes 10 m from the point; 20 one-metre stubs lie 50-240 m away. With samples only at segment
    # ends (spacing 5 km) the 16 nearest samples are all stubs' ends: only the exact check finds the road.
    stubs = [((1000 + r * np.cos(k), 10 + r * np.sin(k)), (1001 + r * np.cos(k), 10 + r * np.sin(k)))
             for k, r in enumerate(range(50, 250, 10))]
    segments = [((0.0, 0.0), (2000.0, 0.0)), *stubs]
    xy = np.array([p for segment in segments for p in segment], dtype=float)
    index = SegmentIndex(xy, np.arange(0, len(xy), 2), np.arange(1, len(xy), 2), spacing_m=5000)
    found = index.snap(np.array([[1000.0, 10.0]]))
    assert (found.segment[0], found.distance_m[0]) == (0, 10.0)
    np.testing.assert_allclose(found.xy[0], (1000.0, 0.0))
