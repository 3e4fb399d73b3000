"""WGS84 <-> UTM 16N (EPSG:32616, covers all of Belize): the one place that builds the transformers.

Road distances and the radio simulator both work in these metres.
"""

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
    """(n, 2) easting, northing in metres; scalars give one row."""
    x, y = _forward().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def to_lonlat(xy: FloatArray) -> FloatArray:
    """(…, 2) metres -> (…, 2) lon, lat in degrees: one point (2,) or many (n, 2)."""
    lon, lat = _inverse().transform(xy[..., 0], xy[..., 1])
    return np.stack([lon, lat], axis=-1)
