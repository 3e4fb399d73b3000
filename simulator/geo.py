"""WGS84 <-> UTM 16N (EPSG:32616, covers all of Belize): the simulator works in metres."""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

UTM16N = "EPSG:32616"
FloatArray = NDArray[np.float64]


@cache
def _forward() -> Transformer:
    return Transformer.from_crs("EPSG:4326", UTM16N, always_xy=True)


@cache
def _inverse() -> Transformer:
    return Transformer.from_crs(UTM16N, "EPSG:4326", always_xy=True)


def to_utm(lon: ArrayLike, lat: ArrayLike) -> FloatArray:
    x, y = _forward().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def to_lonlat(xy: FloatArray) -> FloatArray:
    lon, lat = _inverse().transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])
