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


def _tr38901(name: str, description: str, model: Formula, ranges: dict[str, Range], d2d: Range) -> PathLossModel:
    """A TR 38.901 model, whose formulas and distance range are in metres and GHz, behind the km/MHz entry point."""
    d_km = Range(d2d.name, d2d.low / 1000.0, d2d.high / 1000.0, "km")
    return PathLossModel(
        name, description, lambda d, f, hb, hu: model(d * 1e3, f / 1e3, hb, hu), {**ranges, "d": d_km}, "GHz"
    )


MODELS: dict[str, PathLossModel] = {
    m.name: m
    for m in (
        _tr38901("rma-los", "3GPP TR 38.901 rural macro, line of sight", p38.rma_los, p38.RMA_RANGES,
                 p38.RMA_LOS_D2D),
        _tr38901("rma-nlos", "3GPP TR 38.901 rural macro, non line of sight", p38.rma_nlos, p38.RMA_RANGES,
                 p38.RMA_NLOS_D2D),
        _tr38901("uma-los", "3GPP TR 38.901 urban macro, line of sight", p38.uma_los, p38.UMA_RANGES, p38.UMA_D2D),
        _tr38901("uma-nlos", "3GPP TR 38.901 urban macro, non line of sight", p38.uma_nlos, p38.UMA_RANGES,
                 p38.UMA_D2D),
        PathLossModel("hata-urban", "Okumura-Hata, small/medium city", hata.hata_urban, hata.HATA_RANGES, "MHz"),
        PathLossModel("hata-suburban", "Okumura-Hata, suburban", hata.hata_suburban, hata.HATA_RANGES, "MHz"),
        PathLossModel("hata-open", "Okumura-Hata, open/rural area", hata.hata_open, hata.HATA_RANGES, "MHz"),
        PathLossModel("cost231", "COST-231 Hata, medium city / suburban (C_m = 0 dB)", hata.cost231_hata,
                      hata.COST231_RANGES, "MHz"),
    )
}
