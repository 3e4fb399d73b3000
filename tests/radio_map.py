"""A hand-made coverage map of 2 x 3 km just west of Belize City, and what psn must answer on each pixel: shared
by the radio API tests and the console's browser test."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netmgmt.coverage import CoverageGrid, LinkParams
from traffic.utm import to_lonlat

X0, Y0, RES = 370_000.0, 1_937_000.0, 1000.0  # UTM 16N: 2 x 3 km just west of Belize City
# Per pixel (row, col): cell, RSRP, UL SINR, UL max PRBs; (1, 2) is outside the country.
PIXELS = {(0, 0): ("BZE-PMD-1", -70.0, 10.0, 50.0), (0, 1): ("BZE-PMD-1", -100.0, 3.0, 9.0),
          (0, 2): ("BZE-PMD-2", -110.0, 3.0, 4.0), (1, 0): ("BZE-LDV-1", -120.0, -8.0, 1.0),
          (1, 1): ("BZE-PMD-2", -90.0, 10.0, 50.0)}
# With live UL loads BZE-PMD-1 0.3, BZE-PMD-2 0.88 and none for BZE-LDV-1, worked by hand
# (tests/netmgmt/test_radio.py has the arithmetic): CQI 8 = 273.33 bits a PRB a ms, CQI 5 = 125.24.
EXPECTED = {
    (0, 0): ("good", 0.3, "live", 8.2, "Live video will work here (1080p)"),  # 30 PRBs
    (0, 1): ("fair", 0.3, "live", 1.13, "Live video will work here (720p)"),  # 9 PRBs (its cap)
    (0, 2): ("poor", 0.88, "live", 0.13, "Live video will not work here (weak coverage)"),  # 1 PRB; 4 at best
    (1, 0): ("none", 0.5, "planning", 0.0, "Live video will not work here (no coverage)"),
    (1, 1): ("good", 0.88, "live", 0.27, "Live video will not work here (cell busy)"),  # 1 PRB
}


def write_map(path: Path) -> Path:
    cells = ("BZE-PMD-1", "BZE-PMD-2", "BZE-LDV-1")
    serving, rsrp, ul, prbs = (np.zeros((2, 3)) for _ in range(4))
    for (r, c), (cell, p, s, n) in PIXELS.items():
        serving[r, c], rsrp[r, c], ul[r, c], prbs[r, c] = cells.index(cell), p, s, n
    inside = np.array([[True, True, True], [True, True, False]])
    grid = CoverageGrid(X0, Y0, RES, cells, serving.astype(np.int64), rsrp, np.full((2, 3), 12.0), ul, prbs, inside,
                        LinkParams())
    np.savez_compressed(path, **grid.to_arrays())
    return path


def point(r: int, c: int, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """(lat, lon) of a pixel's centre, moved dx east and dy north (metres)."""
    lon, lat = to_lonlat(np.array([X0 + (c + 0.5) * RES + dx, Y0 - (r + 0.5) * RES + dy]))
    return float(lat), float(lon)
