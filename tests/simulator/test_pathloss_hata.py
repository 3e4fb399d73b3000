import numpy as np
import pytest

from simulator.radio import pathloss_hata as hata

D = np.array([1.0, 5.0, 10.0])


def test_okumura_hata_hand_values_763_mhz() -> None:
    np.testing.assert_allclose(hata.hata_urban(D, 763, 35, 1.5), [123.6, 147.9, 158.4], atol=0.05)
    np.testing.assert_allclose(hata.hata_suburban(D, 763, 35, 1.5), [114.1, 138.4, 148.9], atol=0.05)
    np.testing.assert_allclose(hata.hata_open(D, 763, 35, 1.5), [95.8, 120.1, 130.6], atol=0.05)


def test_open_area_uses_4_78_not_ns3_4_70() -> None:
    lf = np.log10(763.0)
    gap = hata.hata_urban(1.0, 763, 35, 1.5) - hata.hata_open(1.0, 763, 35, 1.5)
    assert gap == pytest.approx(4.78 * lf**2 - 18.33 * lf + 40.94)


def test_large_city_correction_keeps_minus_4_97() -> None:
    assert hata.mobile_correction(1800, 1.5, "large") == pytest.approx(3.2 * np.log10(11.75 * 1.5) ** 2 - 4.97)
    assert hata.mobile_correction(150, 1.5, "large") == pytest.approx(8.29 * np.log10(1.54 * 1.5) ** 2 - 1.1)


def test_cost231_hand_value() -> None:
    # 46.3 + 33.9 log f - 13.82 log hb - a(hm) + (44.9 - 6.55 log hb) log d, medium city
    f, hb, hm = 1800.0, 30.0, 1.5
    a = (1.1 * np.log10(f) - 0.7) * hm - (1.56 * np.log10(f) - 0.8)
    expected = 46.3 + 33.9 * np.log10(f) - 13.82 * np.log10(hb) - a + (44.9 - 6.55 * np.log10(hb)) * np.log10(2)
    assert hata.cost231_hata(2.0, f, hb, hm) == pytest.approx(expected)
    assert hata.cost231_hata(2.0, f, hb, hm, metropolitan=True) > hata.cost231_hata(2.0, f, hb, hm)
