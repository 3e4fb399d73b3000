"""Okumura–Hata (urban / suburban / open) and COST-231 Hata; f in MHz, heights in m, distance in km.

Written from the published formulas, not from ns-3 (whose open-area term uses 4.70 instead of 4.78 and
whose COST-231 large-city a(h_m) drops the -4.97).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.radio.validity import Range

FloatArray = NDArray[np.float64]
CitySize = Literal["small", "large"]


def mobile_correction(f_mhz: float, h_m: ArrayLike, city: CitySize = "small") -> FloatArray:
    """a(h_m): the mobile antenna height correction."""
    h = np.asarray(h_m, dtype=float)
    lf = np.log10(f_mhz)
    if city == "small":
        return (1.1 * lf - 0.7) * h - (1.56 * lf - 0.8)
    if f_mhz <= 200.0:
        return 8.29 * np.log10(1.54 * h) ** 2 - 1.1
    return 3.2 * np.log10(11.75 * h) ** 2 - 4.97


def _distance_term(h_b: float, d_km: ArrayLike) -> FloatArray:
    return (44.9 - 6.55 * np.log10(h_b)) * np.log10(np.asarray(d_km, dtype=float))


def hata_urban(
    d_km: ArrayLike, f_mhz: float, h_b: float, h_m: ArrayLike, city: CitySize = "small"
) -> FloatArray:
    return (
        69.55
        + 26.16 * np.log10(f_mhz)
        - 13.82 * np.log10(h_b)
        - mobile_correction(f_mhz, h_m, city)
        + _distance_term(h_b, d_km)
    )


def hata_suburban(d_km: ArrayLike, f_mhz: float, h_b: float, h_m: ArrayLike) -> FloatArray:
    return hata_urban(d_km, f_mhz, h_b, h_m) - 2.0 * np.log10(f_mhz / 28.0) ** 2 - 5.4


def hata_open(d_km: ArrayLike, f_mhz: float, h_b: float, h_m: ArrayLike) -> FloatArray:
    lf = np.log10(f_mhz)
    return hata_urban(d_km, f_mhz, h_b, h_m) - 4.78 * lf**2 + 18.33 * lf - 40.94


def cost231_hata(
    d_km: ArrayLike, f_mhz: float, h_b: float, h_m: ArrayLike, metropolitan: bool = False
) -> FloatArray:
    """COST-231 extension to 1500-2000 MHz; C_m = 3 dB for metropolitan centres, else 0 dB."""
    city: CitySize = "large" if metropolitan else "small"
    return (
        46.3
        + 33.9 * np.log10(f_mhz)
        - 13.82 * np.log10(h_b)
        - mobile_correction(f_mhz, h_m, city)
        + _distance_term(h_b, d_km)
        + (3.0 if metropolitan else 0.0)
    )


HATA_RANGES = {
    "fc": Range("frequency", 150.0, 1500.0, "MHz"),
    "h_bs": Range("BS height", 30.0, 200.0, "m"),
    "h_ut": Range("UE height", 1.0, 10.0, "m"),
    "d": Range("distance", 1.0, 20.0, "km"),
}
COST231_RANGES = {**HATA_RANGES, "fc": Range("frequency", 1500.0, 2000.0, "MHz")}
