import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.scenario import Scenario, ScenarioError, load_scenario, parse_scenario, populate

GROUP = {"name": "g", "count": 5, "points": [[-88.2, 17.5]], "bearers": [{"qci": 67, "rate_mbps": 1.08}]}


def test_default_scenario_populates_units_and_bearers() -> None:
    sc = load_scenario()
    pop = populate(np.random.default_rng(0), sc)
    n_units = sum(g.count for g in sc.groups)
    assert len(pop.ues) == len(pop.unit_ids) == n_units
    assert len(pop.bearers) == sum(g.count * len(g.bearers) for g in sc.groups)
    assert np.all(np.diff(pop.bearers.seq) >= 0) and pop.bearers.seq[-1] == len(sc.groups) - 1
    carnival = [i for i, g in enumerate(sc.groups) if g.uplift]
    assert set(pop.group_of_ue[pop.uplifted]) == set(carnival)


def test_route_groups_stay_near_the_route() -> None:
    sc = parse_scenario({"groups": [{**GROUP, "count": 200, "spread_m": 1.0,
                                     "route": [[-88.20, 17.50], [-88.18, 17.50]]}]})
    xy = populate(np.random.default_rng(1), sc).ues.xy
    a = sc.groups[0].anchors
    assert np.all(np.abs(xy[:, 1] - a[:, 1].mean()) < 50) and np.ptp(xy[:, 0]) > 1500


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"groups": []}, "'groups' must be a non-empty list"),
        ({"groups": [{**GROUP, "bearers": [{"qci": 4, "rate_mbps": 1}]}]}, "unknown QCI 4"),
        ({"groups": [{**GROUP, "points": [[1]]}]}, "needs 'route' or 'points'"),
        ({"groups": [{**GROUP, "indoor": 2}]}, "'indoor' must be between 0 and 1"),
        ({"groups": [{**GROUP, "count": True}]}, "'count' must be int"),
        ({"groups": [{**GROUP, "bearers": [{"qci": 67, "rate_mbps": 1, "arp": 0}]}]}, "'arp' must be 1..15"),
    ],
)
def test_bad_scenarios_are_refused_with_a_clear_message(doc, message) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(doc)


values = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-100, 100) | st.text(max_size=4),
                      lambda i: st.lists(i, max_size=3) | st.dictionaries(st.text(max_size=6), i, max_size=3),
                      max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"groups": st.lists(st.fixed_dictionaries(
    {k: values for k in ("name", "count", "bearers")},
    optional={"points": st.lists(st.lists(st.floats(-90, 90), min_size=2, max_size=2), max_size=2) | values,
              "indoor": values}), max_size=2)}) | values)
def test_parser_only_ever_returns_a_scenario_or_raises_scenario_error(doc) -> None:
    try:
        sc = parse_scenario(doc)
    except ScenarioError:
        return
    assert isinstance(sc, Scenario)
