import numpy as np
import pytest

from netmgmt import link


def test_cqi_table_is_ts36213_and_mapping_is_monotone() -> None:
    assert link.CQI_EFFICIENCY[1] == 0.1523 and link.CQI_EFFICIENCY[15] == 5.5547
    assert np.all(np.diff(link.CQI_EFFICIENCY) > 0)
    cqi = link.cqi_from_sinr(np.linspace(-20, 40, 200))
    assert cqi[0] == 0 and cqi[-1] == 15 and np.all(np.diff(cqi) >= 0)
    assert link.cqi_from_sinr(link.CQI_SINR_DB[6]) == 7


def test_attenuated_shannon_is_truncated_at_both_ends() -> None:
    assert link.shannon_efficiency(-15.0) == 0.0
    assert link.shannon_efficiency(10.0) == pytest.approx(0.6 * np.log2(11.0))
    assert link.shannon_efficiency(40.0) == pytest.approx(4.4)
    assert link.shannon_efficiency(40.0, link.UL_SHANNON) == pytest.approx(2.0)


def test_sinr_of_two_equal_cells_is_zero_db_without_noise_and_scales_with_load() -> None:
    rx = np.array([[-60.0, -60.0]])
    assert link.sinr_db(rx, np.array([0]), -200.0)[0] == pytest.approx(0.0, abs=1e-6)
    assert link.sinr_db(rx, np.array([0]), -200.0, np.array([1.0, 0.5]))[0] == pytest.approx(3.0103, abs=1e-3)


def test_noise_of_10_mhz_with_9_db_nf() -> None:
    assert link.noise_dbm(10e6, 9.0) == pytest.approx(-95.0)
