
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.plan import NetworkPlan, PlanError, load_plan, parse_plan

SITE = {"id": "A", "lon": -88.2, "lat": 17.5, "sectors": [{"azimuth_deg": 0}, {"azimuth_deg": 120}]}


def test_default_plan_is_illustrative_band14_and_covers_belize_city() -> None:
    plan = load_plan()
    assert "ILLUSTRATIVE" in plan.note
    assert (plan.band.dl_mhz, plan.band.ul_mhz, plan.band.prbs) == (763.0, 793.0, 50)
    cells = plan.cells()
    assert len(cells) == 3 * len(plan.sites) and any(i.startswith("BZE-PMD") for i in cells.ids)
    # UTM 16N metres: Belize lies roughly between easting 250-420 km and northing 1750-2050 km
    assert cells.xy[:, 0].min() > 2.4e5 and cells.xy[:, 0].max() < 4.3e5


def test_minimal_plan_uses_defaults() -> None:
    plan = parse_plan({"sites": [SITE], "defaults": {"power_dbm": 43}})
    c = plan.cells()
    assert c.ids == ("A-1", "A-2") and c.power_dbm.tolist() == [43.0, 43.0]
    assert plan.band.prbs == 50 and not c.urban.any()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "plan: expected an object"),
        ({"sites": []}, "'sites' must be a non-empty list"),
        ({"sites": [{**SITE, "lat": 95}]}, r"sites\[0\]: 'lat' = 95 is outside"),
        ({"sites": [{**SITE, "lon": "x"}]}, r"sites\[0\]: 'lon' must be a number"),
        ({"sites": [SITE, SITE]}, "duplicate site id 'A'"),
        ({"sites": [{**SITE, "environment": "moon"}]}, "'environment' must be 'rma' or 'uma'"),
        ({"sites": [{**SITE, "sectors": [{"azimuth_deg": 400}]}]}, r"sectors\[0\]: 'azimuth_deg' = 400"),
        ({"sites": [SITE], "band": {"rat": "GSM"}}, "'rat' must be LTE or NR"),
    ],
)
def test_bad_plans_are_refused_with_a_clear_message(doc, message) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(doc)


def test_unreadable_and_non_json_files(tmp_path) -> None:
    with pytest.raises(PlanError, match="cannot read plan"):
        load_plan(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(PlanError, match="not valid JSON"):
        load_plan(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
site_like = st.fixed_dictionaries(
    {"id": st.text(min_size=0, max_size=3) | st.integers(), "lon": json_values | st.floats(-200, 200),
     "lat": st.floats(-100, 100) | json_values},
    optional={"sectors": st.lists(st.dictionaries(st.sampled_from(["azimuth_deg", "tilt_deg", "power_dbm"]),
                                                  json_values | st.floats(-50, 500), max_size=3), max_size=3),
              "environment": st.sampled_from(["rma", "uma", "x"]), "height_m": json_values},
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.fixed_dictionaries({"sites": st.lists(site_like, max_size=3)},
                                                     optional={"band": json_values, "defaults": json_values})))
def test_parser_only_ever_returns_a_plan_or_raises_plan_error(doc) -> None:
    try:
        plan = parse_plan(doc)
    except PlanError:
        return
    assert isinstance(plan, NetworkPlan) and plan.sites


def test_package_exports_resolve() -> None:
    import simulator

    for name in simulator.__all__:
        assert getattr(simulator, name) is not None


def test_nr_option_shortens_the_slot_and_lte_refuses_other_spacings() -> None:
    from simulator.sim import radio_config

    nr = parse_plan({"sites": [SITE], "band": {"rat": "NR", "scs_khz": 30, "prbs": 24, "bandwidth_mhz": 10}})
    cfg = radio_config(nr)
    assert (cfg.slot_s, cfg.prb_hz, cfg.prbs) == (0.5e-3, 360e3, 24)
    with pytest.raises(PlanError, match="'scs_khz' = 30 is not a LTE subcarrier spacing"):
        parse_plan({"sites": [SITE], "band": {"rat": "LTE", "scs_khz": 30}})
