import numpy as np
import pytest

from simulator.radio.antenna import ELEMENT_36873, SectorAntenna, gain_db


def test_boresight_is_max_gain_and_half_beamwidth_is_3_db_down() -> None:
    a = SectorAntenna(65.0, 10.0, 25.0, 20.0, 15.0)
    assert gain_db(a, 0.0, 0.0) == pytest.approx(15.0)
    assert gain_db(a, 32.5, 0.0) == pytest.approx(12.0)
    assert gain_db(a, 0.0, 5.0) == pytest.approx(12.0)
    assert gain_db(a, 0.0, 8.0, tilt_deg=8.0) == pytest.approx(15.0)


def test_back_lobe_is_floored_at_front_to_back_ratio() -> None:
    a = SectorAntenna(70.0, 15.0, 20.0, 20.0, 14.0)
    assert gain_db(a, 180.0, 40.0) == pytest.approx(14.0 - 20.0)
    assert gain_db(ELEMENT_36873, np.array([-180.0, 180.0, 540.0]), 0.0) == pytest.approx(8.0 - 30.0)


def test_pattern_is_symmetric_and_wraps() -> None:
    a = SectorAntenna()
    az = np.linspace(-170, 170, 35)
    np.testing.assert_allclose(gain_db(a, az, 3.0), gain_db(a, -az, 3.0))
    assert gain_db(a, 350.0, 0.0) == pytest.approx(gain_db(a, -10.0, 0.0))
