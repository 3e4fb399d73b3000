"""3GPP TR 38.901 §7.4.1 path loss (RMa, UMa) and §7.4.2 LOS probability; all distances in metres.

Frequencies are in GHz as in the TR. Functions are vectorised over distances and UE heights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.radio.validity import Range

C = 299_792_458.0
FloatArray = NDArray[np.float64]

# Table 7.4.1-1 defaults for RMa: average building height and street width.
RMA_H_BUILDING = 5.0
RMA_W_STREET = 20.0


def distance_3d(d2d: ArrayLike, h_bs: ArrayLike, h_ut: ArrayLike) -> FloatArray:
    return np.sqrt(np.square(d2d) + np.square(np.subtract(h_bs, h_ut)))


def rma_breakpoint(fc_ghz: float, h_bs: ArrayLike, h_ut: ArrayLike) -> FloatArray:
    return 2.0 * np.pi * np.asarray(h_bs) * np.asarray(h_ut) * fc_ghz * 1e9 / C


def _rma_pl1(d3d: FloatArray, fc_ghz: float, h: float) -> FloatArray:
    return (
        20.0 * np.log10(40.0 * np.pi * d3d * fc_ghz / 3.0)
        + min(0.03 * h**1.72, 10.0) * np.log10(d3d)
        - min(0.044 * h**1.72, 14.77)
        + 0.002 * np.log10(h) * d3d
    )


def rma_los(
    d2d: ArrayLike, fc_ghz: float, h_bs: ArrayLike = 35.0, h_ut: ArrayLike = 1.5, h: float = RMA_H_BUILDING
) -> FloatArray:
    d2d = np.asarray(d2d, dtype=float)
    d_bp = rma_breakpoint(fc_ghz, h_bs, h_ut)
    d3d = distance_3d(d2d, h_bs, h_ut)
    pl1 = _rma_pl1(d3d, fc_ghz, h)
    pl_bp = _rma_pl1(distance_3d(d_bp, h_bs, h_ut), fc_ghz, h)
    pl2 = pl_bp + 40.0 * np.log10(d3d / distance_3d(d_bp, h_bs, h_ut))
    return np.where(d2d <= d_bp, pl1, pl2)


def rma_nlos(
    d2d: ArrayLike,
    fc_ghz: float,
    h_bs: ArrayLike = 35.0,
    h_ut: ArrayLike = 1.5,
    h: float = RMA_H_BUILDING,
    w: float = RMA_W_STREET,
) -> FloatArray:
    h_bs_a = np.asarray(h_bs, dtype=float)
    h_ut_a = np.asarray(h_ut, dtype=float)
    d3d = distance_3d(d2d, h_bs_a, h_ut_a)
    pl_nlos = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / h_bs_a) ** 2) * np.log10(h_bs_a)
        + (43.42 - 3.1 * np.log10(h_bs_a)) * (np.log10(d3d) - 3.0)
        + 20.0 * np.log10(fc_ghz)
        - (3.2 * np.log10(11.75 * h_ut_a) ** 2 - 4.97)
    )
    return np.maximum(rma_los(d2d, fc_ghz, h_bs, h_ut, h), pl_nlos)


def uma_breakpoint(fc_ghz: float, h_bs: ArrayLike, h_ut: ArrayLike, h_e: float = 1.0) -> FloatArray:
    """Effective breakpoint d'_BP; h_E = 1 m (the TR draws larger h_E for tall UEs; we keep 1 m)."""
    return 4.0 * (np.asarray(h_bs) - h_e) * (np.asarray(h_ut) - h_e) * fc_ghz * 1e9 / C


def uma_los(d2d: ArrayLike, fc_ghz: float, h_bs: ArrayLike = 25.0, h_ut: ArrayLike = 1.5) -> FloatArray:
    d2d = np.asarray(d2d, dtype=float)
    d3d = distance_3d(d2d, h_bs, h_ut)
    d_bp = uma_breakpoint(fc_ghz, h_bs, h_ut)
    pl1 = 28.0 + 22.0 * np.log10(d3d) + 20.0 * np.log10(fc_ghz)
    pl2 = (
        28.0
        + 40.0 * np.log10(d3d)
        + 20.0 * np.log10(fc_ghz)
        - 9.0 * np.log10(d_bp**2 + np.square(np.subtract(h_bs, h_ut)))
    )
    return np.where(d2d <= d_bp, pl1, pl2)


def uma_nlos(d2d: ArrayLike, fc_ghz: float, h_bs: ArrayLike = 25.0, h_ut: ArrayLike = 1.5) -> FloatArray:
    d3d = distance_3d(d2d, h_bs, h_ut)
    pl_nlos = 13.54 + 39.08 * np.log10(d3d) + 20.0 * np.log10(fc_ghz) - 0.6 * (np.asarray(h_ut) - 1.5)
    return np.maximum(uma_los(d2d, fc_ghz, h_bs, h_ut), pl_nlos)


def rma_los_probability(d2d_out: ArrayLike) -> FloatArray:
    d = np.asarray(d2d_out, dtype=float)
    return np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))


def uma_los_probability(d2d_out: ArrayLike, h_ut: ArrayLike) -> FloatArray:
    """Identical in TR 36.873 (3D-UMa) and TR 38.901 (UMa), including the UE-height term C(d, h_UT)."""
    d = np.maximum(np.asarray(d2d_out, dtype=float), 1e-9)
    h = np.asarray(h_ut, dtype=float)
    c_h = np.where(h <= 13.0, 0.0, np.clip((h - 13.0) / 10.0, 0.0, None) ** 1.5)
    p = (np.minimum(18.0 / d, 1.0) * (1.0 - np.exp(-d / 63.0)) + np.exp(-d / 63.0)) * (
        1.0 + c_h * 1.25 * (d / 100.0) ** 3 * np.exp(-d / 150.0)
    )
    return np.where(d <= 18.0, 1.0, np.minimum(p, 1.0))


# Table 7.4.1-1 applicability ranges, used by the CLI before printing a number.
RMA_RANGES = {
    "fc": Range("frequency", 0.5, 30.0, "GHz"),
    "h_bs": Range("BS height", 10.0, 150.0, "m"),
    "h_ut": Range("UE height", 1.0, 10.0, "m"),
}
RMA_LOS_D2D = Range("2D distance", 10.0, 10_000.0, "m")
RMA_NLOS_D2D = Range("2D distance", 10.0, 5_000.0, "m")
UMA_RANGES = {
    "fc": Range("frequency", 0.5, 100.0, "GHz"),
    "h_bs": Range("BS height", 25.0, 25.0, "m"),
    "h_ut": Range("UE height", 1.5, 22.5, "m"),
}
UMA_D2D = Range("2D distance", 10.0, 5_000.0, "m")
