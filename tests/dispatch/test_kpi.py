"""Response KPIs on six hand-made timelines: each incident's stage times, then count, median and p90 by agency,
priority and district, every figure worked out by hand below (p90 by linear interpolation between closest
ranks: for sorted values v, position h = (n - 1) · 0.9, p90 = v[⌊h⌋] + (h − ⌊h⌋)(v[⌊h⌋+1] − v[⌊h⌋]))."""

from __future__ import annotations

import statistics

import pytest

from dispatch import (
    Incident,
    Stage,
    Summary,
    UnitState,
    create,
    milestones,
    response_kpis,
    stage_times,
    summarise,
    unit_status,
)

T = 1_764_590_400.0
C2D, D2E, E2O, C2O = (Stage.CALL_TO_DISPATCH, Stage.DISPATCH_TO_EN_ROUTE, Stage.EN_ROUTE_TO_ON_SCENE,
                      Stage.CALL_TO_ON_SCENE)
S = UnitState


def incident(name: str, owner: str, priority: int, lat: float,
             steps: list[tuple[float, str, UnitState]]) -> Incident:
    made, _ = create(name, f"{owner}.dispatch", T, type="other", priority=priority, lat=lat, lon=-88.6,
                     notes="a call", owner=owner)
    for dt, unit, state in steps:
        made, _ = unit_status(made, "someone", T + dt, unit, state)
    return made


A = incident("A", "police", 1, 17.5, [(60, "police/P-1", S.DISPATCHED), (90, "police/P-1", S.EN_ROUTE),
                                      (200, "police/P-2", S.DISPATCHED), (210, "police/P-2", S.AVAILABLE),
                                      (600, "police/P-1", S.ON_SCENE)])
B = incident("B", "police", 2, 17.5, [(120, "police/P-3", S.DISPATCHED), (180, "police/P-3", S.EN_ROUTE),
                                      (420, "police/P-3", S.ON_SCENE)])
C = incident("C", "police", 1, 17.2, [(30, "police/P-4", S.DISPATCHED), (40, "police/P-4", S.EN_ROUTE),
                                      (1000, "police/P-4", S.ON_SCENE)])
D = incident("D", "nemo", 3, 17.2, [(300, "nemo/N-1", S.DISPATCHED), (900, "nemo/N-1", S.ON_SCENE)])
E = incident("E", "nemo", 1, 15.9, [(45, "nemo/N-2", S.DISPATCHED)])
F = incident("F", "police", 4, 17.6, [])
ALL = [A, B, C, D, E, F]


def district(lat: float, lon: float) -> str | None:
    assert lon == -88.6
    return "Belize" if lat >= 17.4 else "Cayo" if lat >= 16.0 else None


def test_milestones_are_the_first_of_each() -> None:
    assert milestones(A) == {"call": T, "dispatched": T + 60, "en_route": T + 90, "on_scene": T + 600}
    assert milestones(F) == {"call": T}


@pytest.mark.parametrize(("made", "expected"), [
    (A, {C2D: 60, D2E: 30, E2O: 510, C2O: 600}),
    (B, {C2D: 120, D2E: 60, E2O: 240, C2O: 420}),
    (C, {C2D: 30, D2E: 10, E2O: 960, C2O: 1000}),
    (D, {C2D: 300, C2O: 900}),  # dispatched straight to on scene
    (E, {C2D: 45}),
    (F, {}),
])
def test_stage_times(made: Incident, expected: dict[Stage, float]) -> None:
    assert stage_times(made) == expected


def test_a_stage_out_of_order_is_not_counted() -> None:
    # A unit reports en route (self-dispatched) before the dispatcher assigns one: no dispatch → en route time.
    odd = incident("G", "police", 1, 17.5, [(10, "police/P-5", S.EN_ROUTE), (20, "police/P-6", S.DISPATCHED),
                                            (50, "police/P-5", S.ON_SCENE)])
    assert stage_times(odd) == {C2D: 20, E2O: 40, C2O: 50}


def one(seconds: float) -> Summary:
    return Summary(1, seconds, seconds)


def same(actual: dict[str, dict[Stage, Summary]], expected: dict[str, dict[Stage, Summary]]) -> bool:
    """Equal groups and stages, counts exactly, seconds to within float rounding."""
    assert {g: list(stages) for g, stages in actual.items()} == {g: list(stages) for g, stages in expected.items()}
    for group, stages in expected.items():
        for stage, summary in stages.items():
            got = actual[group][stage]
            assert got.count == summary.count, (group, stage)
            assert (got.median_s, got.p90_s) == pytest.approx((summary.median_s, summary.p90_s)), (group, stage)
    return True


def test_by_agency() -> None:
    assert same(response_kpis(ALL, district).by_agency, {
        "nemo": {C2D: Summary(2, 172.5, 274.5), C2O: one(900)},
        "police": {C2D: Summary(3, 60, 108), D2E: Summary(3, 30, 54), E2O: Summary(3, 510, 870),
                   C2O: Summary(3, 600, 920)},
    })


def test_by_priority() -> None:
    assert same(response_kpis(ALL, district).by_priority, {
        "1": {C2D: Summary(3, 45, 57), D2E: Summary(2, 20, 28), E2O: Summary(2, 735, 915),
              C2O: Summary(2, 800, 960)},
        "2": {C2D: one(120), D2E: one(60), E2O: one(240), C2O: one(420)},
        "3": {C2D: one(300), C2O: one(900)},
    })


def test_by_district() -> None:
    assert same(response_kpis(ALL, district).by_district, {
        "Belize": {C2D: Summary(2, 90, 114), D2E: Summary(2, 45, 57), E2O: Summary(2, 375, 483),
                   C2O: Summary(2, 510, 582)},
        "Cayo": {C2D: Summary(2, 165, 273), D2E: one(10), E2O: one(960), C2O: Summary(2, 950, 990)},
        "outside": {C2D: one(45)},
    })


def test_percentiles_against_the_standard_library() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert same({"x": {C2D: summarise(reversed(values))}}, {"x": {C2D: Summary(10, 55.0, 91.0)}})  # h = 8.1
    uneven = [3.0, 7.5, 1.0, 120.0, 42.0, 42.0, 9.25]
    reference = Summary(7, statistics.median(uneven), statistics.quantiles(uneven, n=10, method="inclusive")[-1])
    assert same({"x": {C2D: summarise(uneven)}}, {"x": {C2D: reference}})
