"""Struct-of-arrays view of the cells (sectors) of a network, positions in metres."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Cells:
    ids: tuple[str, ...]
    site_index: NDArray[np.int64]
    xy: NDArray[np.float64]
    height_m: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64]
    tilt_deg: NDArray[np.float64]
    power_dbm: NDArray[np.float64]
    urban: NDArray[np.bool_]  # UMa propagation if true, RMa otherwise

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_sites(self) -> int:
        return int(self.site_index.max()) + 1 if len(self) else 0

    def site_xy(self) -> NDArray[np.float64]:
        first = np.unique(self.site_index, return_index=True)[1]
        return self.xy[first]

    def site_height(self) -> NDArray[np.float64]:
        return self.height_m[np.unique(self.site_index, return_index=True)[1]]
