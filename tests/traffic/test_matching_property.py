"""The matcher's door, fuzzed: any fixes (NaN, inf, huge, reordered, repeated, off the road) never raise, every
sample names a real edge with a finite speed >= 0, and every push is counted under exactly one outcome."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from traffic.graph import RoadGraph
from traffic.matching import Matcher, Outcome, Pushed

ORIGIN = np.array([310000.0, 1900000.0])
# A 500 m square, one side one-way, and a spur: A (0,0) B (500,0) C (500,500) D (0,500) E (500,-300).
GRAPH = RoadGraph.build(ORIGIN + np.array([(0, 0), (500, 0), (500, 500), (0, 500), (500, -300)], dtype=float),
                        [0, 1, 1, 2, 2, 3, 0, 1, 4], [1, 0, 2, 1, 3, 2, 3, 4, 1], [20.0] * 9, ["primary"] * 9,
                        [""] * 9)

odd = st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 0.0])
offset = st.one_of(st.floats(-700, 700), odd)
number = st.one_of(st.floats(0, 60), odd, st.none())
fix = st.tuples(st.sampled_from(["a", "b"]), st.one_of(st.floats(0, 400), odd), offset, offset, number, number)


def check(pushed: list[Pushed]) -> None:
    for p in pushed:
        assert isinstance(p.outcome, Outcome)
        for s in p.samples:
            assert 0 <= s.edge < GRAPH.edges
            assert math.isfinite(s.speed_mps) and s.speed_mps >= 0
            assert math.isfinite(s.ts)
        for ts, edge, fraction in p.matched:
            assert 0 <= edge < GRAPH.edges and 0.0 <= fraction <= 1.0 and math.isfinite(ts)


@settings(max_examples=40)
@given(st.lists(fix, max_size=25))
def test_any_fixes_one_by_one(fixes: list[tuple[str, float, float, float, float | None, float | None]]) -> None:
    m = Matcher(GRAPH)
    pushed = [m.push(v, ts, ORIGIN[0] + x, ORIGIN[1] + y, speed, heading) for v, ts, x, y, speed, heading in fixes]
    check(pushed)
    assert sum(m.counts.values()) == len(fixes)
    assert {o: sum(p.outcome == o for p in pushed) for o in Outcome} == m.counts
    check([m.flush("a"), m.flush("b")])
    check([Pushed(Outcome.MATCHED, m.forget(math.inf))])
    assert m.active == 0


@settings(max_examples=30)
@given(st.lists(fix, min_size=1, max_size=12), st.integers(1, 4))
def test_any_batches(fixes: list[tuple[str, float, float, float, float | None, float | None]], rounds: int) -> None:
    m = Matcher(GRAPH)
    nan = math.nan
    names = [f[0] for f in fixes]
    for r in range(rounds):
        ts = np.array([f[1] + r for f in fixes])
        xy = ORIGIN + np.array([(f[2], f[3]) for f in fixes])
        speed = np.array([nan if f[4] is None else f[4] for f in fixes])
        heading = np.array([nan if f[5] is None else f[5] for f in fixes])
        pushed = m.push_many(names, ts, xy, speed, heading)
        assert len(pushed) == len(fixes)
        check(pushed)
    assert sum(m.counts.values()) == rounds * len(fixes)
