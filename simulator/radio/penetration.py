"""Building and vehicle penetration losses added on top of the outdoor path loss."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
# "38.901-low": TR 38.901 low-loss building, its σ_P spread added to the outdoor shadowing (the plans).
# "36.873": TR 36.873 3D-UMa, 20 dB + 0.5 dB/m, one σ for indoor links instead of LOS/NLOS (calibration).
O2iModel = Literal["38.901-low", "36.873"]

# TR 38.901 §7.4.3.2: car penetration loss ~ N(9, 5) dB for a basic (non-metallised) vehicle.
VEHICLE_MU_DB = 9.0
VEHICLE_SIGMA_DB = 5.0


def o2i_loss_36873(d2d_in: ArrayLike) -> FloatArray:
    """TR 36.873 3D-UMa/UMi outdoor-to-indoor: 20 dB through the wall + 0.5 dB/m inside."""
    return 20.0 + 0.5 * np.asarray(d2d_in, dtype=float)


def o2i_low_loss_38901(fc_ghz: float, d2d_in: ArrayLike) -> FloatArray:
    """TR 38.901 Table 7.4.3-2 low-loss model (standard glass + concrete), without its σ=4.4 dB spread."""
    l_glass = 2.0 + 0.2 * fc_ghz
    l_concrete = 5.0 + 4.0 * fc_ghz
    tw = 5.0 - 10.0 * np.log10(0.3 * 10 ** (-l_glass / 10.0) + 0.7 * 10 ** (-l_concrete / 10.0))
    return tw + 0.5 * np.asarray(d2d_in, dtype=float)


def vehicle_loss(rng: np.random.Generator, n: int) -> FloatArray:
    return np.maximum(rng.normal(VEHICLE_MU_DB, VEHICLE_SIGMA_DB, n), 0.0)


def o2i_loss(model: O2iModel, fc_ghz: float, d2d_in: ArrayLike) -> FloatArray:
    """Mean outdoor-to-indoor loss of the model for an indoor 2D distance (m)."""
    return o2i_loss_36873(d2d_in) if model == "36.873" else o2i_low_loss_38901(fc_ghz, d2d_in)
