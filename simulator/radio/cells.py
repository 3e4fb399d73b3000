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
    azimuth_deg: NDArray[np.float64]  # compass bearing of the boresight, clockwise from north
    tilt_deg: NDArray[np.float64]
    power_dbm: NDArray[np.float64]
    urban: NDArray[np.bool_]  # UMa propagation if true, RMa otherwise
    # Wrap-around: translations (K, 2) under which the whole layout repeats, the zero shift included.
    # Each UE-site link then uses the site's nearest copy (3GPP system-level calibrations); None: one copy.
    wrap_xy: NDArray[np.float64] | None = None

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

    def site_to_ue(self, ue_xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """(U, S, 2) vectors from each site to each UE; with wrap-around, from the site's nearest copy."""
        sxy = self.site_xy()
        if self.wrap_xy is None:
            return ue_xy[:, None, :] - sxy[None, :, :]
        copies = sxy[None, :, :] + self.wrap_xy[:, None, :]  # (K, S, 2)
        v = ue_xy[:, None, None, :] - copies[None]  # (U, K, S, 2)
        best = np.argmin(np.einsum("uksd,uksd->uks", v, v), axis=1)  # (U, S)
        return np.take_along_axis(v, best[:, None, :, None], axis=1)[:, 0]
