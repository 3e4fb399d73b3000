"""Hexagonal 19-site / 57-cell layout with wrap-around, as used by 3GPP calibrations."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulator.radio.cells import Cells

FloatArray = NDArray[np.float64]

# Sector boresights as compass bearings (clockwise from north). The TR's 30° / 150° / 270° are measured
# counter-clockwise from the x axis (east), which is 60° / 300° / 180° on the compass: each boresight points
# between two neighbouring sites, whose directions (a1, a2 below) are east and 60° north of east.
SECTOR_AZIMUTHS_DEG = np.array([60.0, 300.0, 180.0])


def hex_sites(isd: float, rings: int = 2) -> FloatArray:
    """Site positions (n, 2) of a hexagonal grid: 1 + 6 + 12 sites for two rings, centre first."""
    a1 = np.array([isd, 0.0])
    a2 = np.array([isd / 2.0, isd * np.sqrt(3.0) / 2.0])
    pts = [i * a1 + j * a2 for i in range(-rings, rings + 1) for j in range(-rings, rings + 1)
           if max(abs(i), abs(j), abs(i + j)) <= rings]
    xy = np.array(pts)
    return xy[np.argsort(np.hypot(xy[:, 0], xy[:, 1]), kind="stable")]


def wrap_offsets(isd: float) -> FloatArray:
    """Translation of the 7 copies (the original and 6 around it) of a 19-site cluster."""
    a1 = np.array([isd, 0.0])
    a2 = np.array([isd / 2.0, isd * np.sqrt(3.0) / 2.0])
    shift = 3 * a1 + 2 * a2  # cluster size i^2 + ij + j^2 = 19 with (i, j) = (3, 2)
    rot = [np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) for t in np.arange(6) * np.pi / 3]
    return np.vstack([np.zeros(2)] + [r @ shift for r in rot])


def drop_in_hexagons(
    rng: np.random.Generator, site_xy: FloatArray, isd: float, n: int, min_distance: float
) -> FloatArray:
    """Uniform UE positions over the union of the sites' hexagons, at least min_distance from the site."""
    r = isd / np.sqrt(3.0)  # hexagon circumradius
    out = np.empty((0, 2))
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        p = rng.uniform(-r, r, (m, 2))
        # the site's Voronoi hexagon: edges face the neighbours at 0°, ±60°, ±120°, 180°
        inside = (np.abs(p[:, 0]) <= isd / 2.0) & (
            np.abs(p[:, 0]) / 2.0 + np.abs(p[:, 1]) * np.sqrt(3.0) / 2.0 <= isd / 2.0
        )
        inside &= np.hypot(p[:, 0], p[:, 1]) >= min_distance
        p = p[inside] + site_xy[rng.integers(0, len(site_xy), inside.sum())]
        out = np.vstack([out, p])
    return out[:n]


def hex_cells(isd: float = 500.0, height_m: float = 25.0, power_dbm: float = 46.0, tilt_deg: float = 0.0,
              wrap_around: bool = False) -> Cells:
    """The 57 cells of the 19-site layout, urban (UMa) propagation; wrap_around: 7 copies of the cluster."""
    sites = hex_sites(isd)
    n = len(sites) * 3
    return Cells(
        ids=tuple(f"S{s:02d}-{k + 1}" for s in range(len(sites)) for k in range(3)),
        site_index=np.repeat(np.arange(len(sites)), 3),
        xy=np.repeat(sites, 3, axis=0),
        height_m=np.full(n, height_m),
        azimuth_deg=np.tile(SECTOR_AZIMUTHS_DEG, len(sites)),
        tilt_deg=np.full(n, tilt_deg),
        power_dbm=np.full(n, power_dbm),
        urban=np.ones(n, dtype=bool),
        wrap_xy=wrap_offsets(isd) if wrap_around else None,
    )
