"""Radio conditions at a point, against hand-computed rates: CQI from TS 36.213 Table 7.2.3-1 (with the 10 % BLER
SINR thresholds), 12 x 14 resource elements per PRB and slot, 15 % uplink overhead, PRBs free under the 90 %
admission ceiling capped by what the UE can fill; and the coverage map's arrays refused with a reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netmgmt.coverage import CoverageGrid, LinkParams
from netmgmt.radio import Sample, coverage_class, estimate, sample

LINK = LinkParams(prbs=50, slot_s=1e-3, overhead_ul=0.15, planning_ul_load=0.5)


def at(ul_sinr_db: float, ul_max_prbs: float, rsrp_dbm: float = -80.0) -> Sample:
    return Sample("BZE-PMD-1", rsrp_dbm, 12.0, ul_sinr_db, ul_max_prbs, 1000.0)


def test_good_signal_on_a_lightly_loaded_cell() -> None:
    # 10 dB: CQI 8 (8.1 <= 10 < 10.3), 1.9141 bit/s/Hz x 168 x 0.85 = 273.33 bits a PRB a ms;
    # load 0.3 leaves 50 x (0.9 - 0.3) = 30 PRBs (the UE could fill 50): 30 x 273.33 bit/ms = 8.20 Mbit/s.
    e = estimate(at(10.0, 50.0), LINK, 0.3)
    assert (e.ul_cqi, e.ul_prbs) == (8, pytest.approx(30.0))
    assert e.ul_mbps == pytest.approx(8.2000, abs=1e-4)
    assert e.video == {"480p": True, "720p": True, "1080p": True}
    assert e.verdict == "Live video will work here (1080p)"
    assert (e.coverage, e.cell, e.cell_load_ul, e.load_live) == ("good", "BZE-PMD-1", 0.3, True)
    assert "load 0.30 from its latest KPI" in e.basis


def test_unknown_load_assumes_the_planning_load_and_says_so() -> None:
    # 3 dB: CQI 5 (2.4 <= 3 < 4.3), 0.8770 x 168 x 0.85 = 125.24 bits; 50 x (0.9 - 0.5) = 20 PRBs but the UE
    # can fill only 9: 9 x 125.24 = 1.127 Mbit/s: 720p (1.08), not 1080p.
    e = estimate(at(3.0, 9.0, rsrp_dbm=-100.0), LINK, None)
    assert (e.ul_cqi, e.ul_prbs, e.cell_load_ul, e.load_live) == (5, 9.0, 0.5, False)
    assert e.ul_mbps == pytest.approx(1.12712, abs=1e-4)
    assert e.video == {"480p": True, "720p": True, "1080p": False}
    assert e.verdict == "Live video will work here (720p)" and e.coverage == "fair"
    assert "planning load 0.50 assumed" in e.basis


def test_weak_coverage_and_busy_cell_are_told_apart() -> None:
    # 3 dB with 4 PRBs at most: 4 x 125.24 = 0.501 Mbit/s < 0.53 even on an empty cell.
    weak = estimate(at(3.0, 4.0, rsrp_dbm=-110.0), LINK, 0.0)
    assert weak.ul_mbps == pytest.approx(0.50094, abs=1e-4) and not any(weak.video.values())
    assert weak.verdict == "Live video will not work here (weak coverage)" and weak.coverage == "poor"
    # 10 dB, load 0.88: 50 x 0.02 = 1 PRB = 0.273 Mbit/s; empty, the same point carries 1080p.
    busy = estimate(at(10.0, 50.0), LINK, 0.88)
    assert busy.ul_prbs == pytest.approx(1.0) and busy.ul_mbps == pytest.approx(0.27333, abs=1e-4)
    assert busy.verdict == "Live video will not work here (cell busy)"
    # Loads at or over the ceiling leave nothing; a reported load over 1 is taken as 1.
    assert estimate(at(10.0, 50.0), LINK, 1.7).ul_mbps == 0.0


def test_no_coverage_below_minus_115_dbm() -> None:
    e = estimate(at(10.0, 50.0, rsrp_dbm=-115.5), LINK, 0.0)
    assert (e.coverage, e.cell, e.ul_mbps) == ("none", None, 0.0)
    assert e.verdict == "Live video will not work here (no coverage)"


@pytest.mark.parametrize(("rsrp", "cls"), [(-60.0, "good"), (-95.0, "good"), (-95.01, "fair"), (-105.0, "fair"),
                                           (-105.01, "poor"), (-115.0, "poor"), (-115.01, "none"), (-140.0, "none")])
def test_coverage_classes(rsrp: float, cls: str) -> None:
    assert coverage_class(rsrp) == cls


def grid(**changes: Any) -> CoverageGrid:
    """2 x 3 pixels of 1 km, west edge 300 km, north edge 1,950 km; the south-east pixel is outside the country."""
    base: dict[str, Any] = dict(
        x0=300_000.0, y0=1_950_000.0, resolution_m=1000.0, cells=("A-1", "A-2"),
        serving=np.array([[0, 0, 1], [1, 1, 1]]),
        rsrp_dbm=np.array([[-70.0, -90.0, -100.0], [-110.0, -120.0, -80.0]]),
        dl_sinr_db=np.zeros((2, 3)), ul_sinr_db=np.array([[10.0, 5.0, 0.0], [-3.0, -8.0, 20.0]]),
        ul_max_prbs=np.full((2, 3), 50.0), inside=np.array([[True, True, True], [True, True, False]]), link=LINK)
    return CoverageGrid(**{**base, **changes})


def test_sample_is_the_pixel_containing_the_point() -> None:
    g = grid()
    assert sample(g, 300_000.0, 1_950_000.0) == Sample("A-1", -70.0, 0.0, 10.0, 50.0, 1000.0)  # the NW corner
    assert sample(g, 302_999.0, 1_949_001.0) == Sample("A-2", -100.0, 0.0, 0.0, 50.0, 1000.0)
    assert sample(g, 301_999.0, 1_949_001.0) == Sample("A-1", -90.0, 0.0, 5.0, 50.0, 1000.0)
    assert sample(g, 300_500.0, 1_948_500.0) == Sample("A-2", -110.0, 0.0, -3.0, 50.0, 1000.0)
    assert sample(g, 302_500.0, 1_948_500.0) is None  # outside the country
    for x, y in ((299_999.0, 1_949_500.0), (303_000.0, 1_949_500.0), (300_500.0, 1_950_001.0),
                 (300_500.0, 1_948_000.0), (float("inf"), 1_949_500.0), (300_500.0, float("nan"))):
        assert sample(g, x, y) is None, (x, y)


def test_arrays_round_trip_and_refusals() -> None:
    g = grid()
    back = CoverageGrid.from_arrays(g.to_arrays())
    assert back.cells == g.cells and back.link == LINK and (back.x0, back.y0) == (g.x0, g.y0)
    np.testing.assert_array_equal(back.serving, g.serving)
    np.testing.assert_array_equal(back.inside, g.inside)
    np.testing.assert_allclose(back.ul_sinr_db, g.ul_sinr_db)
    arrays = g.to_arrays()
    for broken, reason in (
        ({k: v for k, v in arrays.items() if k != "ul_sinr_db"}, "no ul_sinr_db"),
        ({**arrays, "format": np.array(99)}, "format"),
        ({**arrays, "serving": np.array([[0, 0, 2], [1, 1, 1]])}, "out of range"),
        ({**arrays, "rsrp_dbm": np.zeros((3, 2))}, "differ in shape"),
        ({**arrays, "ul_max_prbs": np.full((2, 3), np.nan)}, "NaN"),
        ({**arrays, "resolution_m": np.array(0.0)}, "out of range"),
        ({**arrays, "x0": np.array("west")}, "not a number"),
        ({**arrays, "crs": np.array("EPSG:4326")}, "expected EPSG:32616"),
    ):
        with pytest.raises(ValueError, match=reason):
            CoverageGrid.from_arrays(broken)


@given(st.dictionaries(st.sampled_from(sorted(grid().to_arrays())),
                       st.one_of(st.integers(-5, 5).map(np.array), st.floats().map(np.array),
                                 st.text(max_size=5).map(np.array),
                                 st.lists(st.integers(-3, 3), min_size=1, max_size=6).map(np.array)),
                       max_size=4))
def test_damaged_arrays_are_refused_or_read_whole(damage: dict[str, Any]) -> None:
    try:
        g = CoverageGrid.from_arrays({**grid().to_arrays(), **damage})
    except ValueError:
        return
    # What is accepted is a usable map: every pixel samples to one of its cells, with finite values.
    rows, cols = g.shape
    for r in range(rows):
        for c in range(cols):
            s = sample(g, g.x0 + (c + 0.5) * g.resolution_m, g.y0 - (r + 0.5) * g.resolution_m)
            assert s is None or (s.cell in g.cells and np.isfinite([s.rsrp_dbm, s.ul_sinr_db]).all())
