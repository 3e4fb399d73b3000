"""One entry point over the path-loss models, with their validity ranges (used by the CLI and the planner)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simulator.radio import pathloss_38901 as p38
from simulator.radio import pathloss_hata as hata
from simulator.radio.validity import Range

FloatArray = NDArray[np.float64]
# (distance_km, f_mhz, h_bs, h_ut) -> dB
Formula = Callable[[FloatArray, float, float, float], FloatArray]


@dataclass(frozen=True)
class PathLossModel:
    name: str
    description: str
    formula: Formula
    ranges: dict[str, Range]  # keys: fc (in the model's own unit), h_bs, h_ut, d (km)
    freq_unit: str  # "GHz" or "MHz", as written in the model's validity table

    def check(self, d_km: ArrayLike, f_mhz: float, h_bs: float, h_ut: float) -> None:
        f = f_mhz / 1000.0 if self.freq_unit == "GHz" else f_mhz
        self.ranges["fc"].check(self.name, f)
        self.ranges["h_bs"].check(self.name, h_bs)
        self.ranges["h_ut"].check(self.name, h_ut)
        self.ranges["d"].check(self.name, d_km)

    def __call__(self, d_km: ArrayLike, f_mhz: float, h_bs: float, h_ut: float) -> FloatArray:
        return self.formula(np.asarray(d_km, dtype=float), f_mhz, h_bs, h_ut)


def _km(r: Range) -> Range:
    return Range(r.name, r.low / 1000.0, r.high / 1000.0, "km")


MODELS: dict[str, PathLossModel] = {
    m.name: m
    for m in (
        PathLossModel(
            "rma-los", "3GPP TR 38.901 rural macro, line of sight",
            lambda d, f, hb, hu: p38.rma_los(d * 1e3, f / 1e3, hb, hu),
            {**p38.RMA_RANGES, "d": _km(p38.RMA_LOS_D2D)}, "GHz",
        ),
        PathLossModel(
            "rma-nlos", "3GPP TR 38.901 rural macro, non line of sight",
            lambda d, f, hb, hu: p38.rma_nlos(d * 1e3, f / 1e3, hb, hu),
            {**p38.RMA_RANGES, "d": _km(p38.RMA_NLOS_D2D)}, "GHz",
        ),
        PathLossModel(
            "uma-los", "3GPP TR 38.901 urban macro, line of sight",
            lambda d, f, hb, hu: p38.uma_los(d * 1e3, f / 1e3, hb, hu),
            {**p38.UMA_RANGES, "d": _km(p38.UMA_D2D)}, "GHz",
        ),
        PathLossModel(
            "uma-nlos", "3GPP TR 38.901 urban macro, non line of sight",
            lambda d, f, hb, hu: p38.uma_nlos(d * 1e3, f / 1e3, hb, hu),
            {**p38.UMA_RANGES, "d": _km(p38.UMA_D2D)}, "GHz",
        ),
        PathLossModel(
            "hata-urban", "Okumura-Hata, small/medium city",
            lambda d, f, hb, hu: hata.hata_urban(d, f, hb, hu), hata.HATA_RANGES, "MHz",
        ),
        PathLossModel(
            "hata-suburban", "Okumura-Hata, suburban",
            lambda d, f, hb, hu: hata.hata_suburban(d, f, hb, hu), hata.HATA_RANGES, "MHz",
        ),
        PathLossModel(
            "hata-open", "Okumura-Hata, open/rural area",
            lambda d, f, hb, hu: hata.hata_open(d, f, hb, hu), hata.HATA_RANGES, "MHz",
        ),
        PathLossModel(
            "cost231", "COST-231 Hata, medium city / suburban (C_m = 0 dB)",
            lambda d, f, hb, hu: hata.cost231_hata(d, f, hb, hu), hata.COST231_RANGES, "MHz",
        ),
    )
}
