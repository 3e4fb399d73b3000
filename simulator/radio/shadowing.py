"""Log-normal shadow fading with an exponential spatial autocorrelation exp(-Δ/d_corr).

Each site gets an independent Gaussian field built as a sum of sinusoids whose wave vectors are drawn
from the 2-D spectrum of the exponential covariance, so any set of points (UEs, a raster) can be
sampled consistently without a grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ShadowField:
    kx: FloatArray  # (n_fields, K) rad/m
    ky: FloatArray
    phase: FloatArray

    def sample(self, xy: FloatArray) -> FloatArray:
        """Unit-variance field values (n_points, n_fields) at positions xy (n_points, 2) in metres."""
        k = self.kx.shape[1]
        acc = np.zeros((xy.shape[0], self.kx.shape[0]))
        for j in range(k):  # loop over the K components, vectorised over points and fields
            acc += np.cos(xy[:, 0:1] * self.kx[:, j] + xy[:, 1:2] * self.ky[:, j] + self.phase[:, j])
        return acc * np.sqrt(2.0 / k)


def shadow_field(rng: np.random.Generator, d_corr_m: FloatArray, components: int = 32) -> ShadowField:
    """One independent field per entry of d_corr_m (e.g. one per site, with that site's distance)."""
    n_fields = len(d_corr_m)
    u = rng.uniform(0.0, 1.0, (n_fields, components))
    k = np.sqrt((1.0 / (1.0 - u)) ** 2 - 1.0) / np.asarray(d_corr_m, dtype=float)[:, None]  # inverse radial CDF
    theta = rng.uniform(0.0, 2.0 * np.pi, (n_fields, components))
    return ShadowField(k * np.cos(theta), k * np.sin(theta), rng.uniform(0.0, 2.0 * np.pi, (n_fields, components)))
