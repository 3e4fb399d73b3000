"""TR 36.873 3D-UMa calibration, run through the shared radio path that capacity and coverage use."""

import numpy as np
import pytest

from simulator import calibration as cal

# 3GPP TR 36.873 industry-median percentiles (5 / 50 / 95 %) of the 3D-UMa calibration, as quoted in
# the issue; written here rather than read from calibration.py, which the CLI compares against.
TR36873_REFERENCE = {
    "coupling_loss_db": (-132.1, -112.3, -84.1),
    "geometry_db": (-3.1, 4.9, 22.6),
    "wideband_sinr_db": (-4.0, 2.6, 18.0),
}
# What the shared path (network.site_links / link_gain / link_budget) gave for 3 drops x 2000 UEs, seed
# 2026, when the calibration was moved onto it: a change of the path loss, antenna, shadowing, O2I,
# wrap-around or SINR code that moves any percentile by more than 0.3 dB fails here.
PINNED = {
    "coupling_loss_db": (-132.93, -111.95, -83.74),
    "geometry_db": (-3.39, 4.59, 22.14),
    "wideband_sinr_db": (-5.34, 2.64, 17.20),
}


@pytest.fixture(scope="module")
def measured() -> cal.CalibrationDrop:
    rng = np.random.default_rng(2026)
    return cal.concat([cal.drop(rng, 2000) for _ in range(3)])


@pytest.mark.parametrize("metric", sorted(TR36873_REFERENCE))
def test_every_percentile_within_1_5_db_of_the_tr36873_reference(measured: cal.CalibrationDrop,
                                                                  metric: str) -> None:
    got = np.percentile(getattr(measured, metric), [5, 50, 95])
    assert np.abs(got - TR36873_REFERENCE[metric]).max() <= 1.5, (metric, got)


@pytest.mark.parametrize("metric", sorted(PINNED))
def test_percentiles_of_the_shared_path_are_pinned_within_0_3_db(measured: cal.CalibrationDrop,
                                                                 metric: str) -> None:
    got = np.percentile(getattr(measured, metric), [5, 50, 95])
    assert np.abs(got - PINNED[metric]).max() <= 0.3, (metric, got)


def test_the_cli_compares_with_the_tr_numbers(measured: cal.CalibrationDrop) -> None:
    assert cal.REFERENCE_TR36873_UMA == TR36873_REFERENCE and cal.TOLERANCE_DB == 1.5
    table = cal.compare(measured)
    assert all(table[m]["within_tolerance"] for m in TR36873_REFERENCE), table


def test_noise_is_over_the_50_occupied_prbs() -> None:
    # -174 dBm/Hz + 10 log10(50 x 180 kHz) + 9 dB = -95.458 dBm (not the 10 MHz channel's -95.0 dBm)
    assert cal.Uma3dCalibration().radio().dl_noise_dbm == pytest.approx(-95.458, abs=0.001)


def test_drop_is_deterministic_for_a_seed() -> None:
    a = cal.drop(np.random.default_rng(7), 300)
    b = cal.drop(np.random.default_rng(7), 300)
    np.testing.assert_array_equal(a.geometry_db, b.geometry_db)
