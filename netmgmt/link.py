"""Link-level abstraction shared by the simulator and psn: SINR from received powers, CQI (TS 36.213 Table
7.2.3-1), attenuated Shannon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

THERMAL_DBM_PER_HZ = -174.0
RE_PER_PRB_TTI = 12 * 14  # subcarriers x OFDM symbols of one PRB in one slot (a 1 ms LTE TTI)

# TS 36.213 Table 7.2.3-1 efficiency (bit/s/Hz) for CQI 1..15; index 0 = out of range.
CQI_EFFICIENCY = np.array(
    [0.0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141,
     2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547]
)
# SINR (dB) at which each CQI reaches 10 % BLER on AWGN: the usual system-level mapping
# (single antenna, turbo code), so CQI k is chosen when SINR >= CQI_SINR_DB[k-1].
CQI_SINR_DB = np.array(
    [-6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7]
)


def db2lin(x: ArrayLike) -> FloatArray:
    return np.power(10.0, np.asarray(x, dtype=float) / 10.0)


def lin2db(x: ArrayLike) -> FloatArray:
    return 10.0 * np.log10(np.maximum(np.asarray(x, dtype=float), 1e-30))


def noise_dbm(bandwidth_hz: float, noise_figure_db: float) -> float:
    return THERMAL_DBM_PER_HZ + 10.0 * np.log10(bandwidth_hz) + noise_figure_db


def sinr_db(
    rx_dbm: FloatArray, serving: IntArray, noise_dbm_: float, load: ArrayLike = 1.0
) -> FloatArray:
    """SINR of each UE (rows of rx_dbm) from its serving cell; every other cell interferes at its load."""
    p = db2lin(rx_dbm)
    load_c = np.broadcast_to(np.asarray(load, dtype=float), (p.shape[1],))
    s = p[np.arange(p.shape[0]), serving]
    interference = p @ load_c - s * load_c[serving]
    return lin2db(s / (interference + db2lin(noise_dbm_)))


def cqi_from_sinr(sinr: ArrayLike) -> IntArray:
    return np.searchsorted(CQI_SINR_DB, np.asarray(sinr, dtype=float), side="right").astype(np.int64)


def efficiency_from_cqi(cqi: ArrayLike) -> FloatArray:
    return CQI_EFFICIENCY[np.asarray(cqi, dtype=np.int64)]


@dataclass(frozen=True)
class ShannonBound:
    """TR 36.942 Annex A.1 attenuated and truncated Shannon bound."""

    attenuation: float = 0.6
    sinr_min_db: float = -10.0
    max_efficiency: float = 4.4  # bit/s/Hz, reached at SINR_max


DL_SHANNON = ShannonBound(0.6, -10.0, 4.4)
UL_SHANNON = ShannonBound(0.4, -10.0, 2.0)


def shannon_efficiency(sinr: ArrayLike, bound: ShannonBound = DL_SHANNON) -> FloatArray:
    s = np.asarray(sinr, dtype=float)
    eff = bound.attenuation * np.log2(1.0 + db2lin(s))
    return np.where(s < bound.sinr_min_db, 0.0, np.minimum(eff, bound.max_efficiency))


def bits_per_prb_tti(efficiency: ArrayLike, overhead: float) -> FloatArray:
    """Payload bits one PRB carries in one slot after control/reference-signal overhead."""
    return np.asarray(efficiency, dtype=float) * RE_PER_PRB_TTI * (1.0 - overhead)
