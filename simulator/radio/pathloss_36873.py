"""TR 36.873 §7.2 3D-UMa NLOS path loss (its LOS branch and LOS probability equal TR 38.901 UMa)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.radio.pathloss_38901 import distance_3d, uma_los

FloatArray = NDArray[np.float64]


def uma3d_nlos(
    d2d: ArrayLike, fc_ghz: float, h_bs: float = 25.0, h_ut: ArrayLike = 1.5, h: float = 20.0, w: float = 20.0
) -> FloatArray:
    h_ut_a = np.asarray(h_ut, dtype=float)
    d3d = distance_3d(d2d, h_bs, h_ut_a)
    pl = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / h_bs) ** 2) * np.log10(h_bs)
        + (43.42 - 3.1 * np.log10(h_bs)) * (np.log10(d3d) - 3.0)
        + 20.0 * np.log10(fc_ghz)
        - (3.2 * np.log10(17.625) ** 2 - 4.97)
        - 0.6 * (h_ut_a - 1.5)
    )
    return np.maximum(uma_los(d2d, fc_ghz, h_bs, h_ut_a), pl)
