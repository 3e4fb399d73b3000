"""3GPP sector antenna: A(φ,θ) = -min(-(A_H(φ) + A_V(θ)), A_m), TR 36.814 / 36.873 §7.1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SectorAntenna:
    hpbw_h_deg: float = 65.0
    hpbw_v_deg: float = 10.0
    front_back_db: float = 25.0  # A_m, 20-30 dB
    side_lobe_v_db: float = 20.0  # SLA_v
    gain_dbi: float = 15.0


# TR 36.873 §7.1.1 single element (used for the calibration): 65°/65°, 30 dB limits, 8 dBi.
ELEMENT_36873 = SectorAntenna(65.0, 65.0, 30.0, 30.0, 8.0)


def wrap_deg(a: ArrayLike) -> FloatArray:
    return (np.asarray(a, dtype=float) + 180.0) % 360.0 - 180.0


def gain_db(
    antenna: SectorAntenna, az_off_deg: ArrayLike, elev_down_deg: ArrayLike, tilt_deg: ArrayLike = 0.0
) -> FloatArray:
    """Gain towards a direction az_off from boresight, elev_down below the horizon, for a downtilt (deg)."""
    a_h = -np.minimum(12.0 * (wrap_deg(az_off_deg) / antenna.hpbw_h_deg) ** 2, antenna.front_back_db)
    a_v = -np.minimum(
        12.0 * ((np.asarray(elev_down_deg) - np.asarray(tilt_deg)) / antenna.hpbw_v_deg) ** 2,
        antenna.side_lobe_v_db,
    )
    return antenna.gain_dbi - np.minimum(-(a_h + a_v), antenna.front_back_db)
