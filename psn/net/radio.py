"""Radio conditions at a point, served: the coverage map (`Settings.coverage_file`, from `psn sim coverage`) read
at start, the serving cell's live uplink load from the KPI part (`cell_loads`, wired by the server), and the
coverage classes as GeoJSON polygons for the map overlay, built once and kept gzipped."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from netmgmt import radio
from netmgmt.coverage import CoverageGrid, class_polygons
from traffic.utm import to_utm

log = logging.getLogger(__name__)
CellLoads = Callable[[], Mapping[str, float]]
CellState = Callable[[str], str]  # "up" | "silent" | "unknown" (psn.net.kpis.KpiService.state)
NO_MAP = "no coverage map loaded; run `psn sim coverage --npz-only --out DIR` and set coverage_file to DIR/coverage.npz"


class NoCoverageMap(LookupError):
    """No coverage_file configured."""


class OutsideMap(LookupError):
    """The point is off the map or outside the country it covers."""


def read_coverage(path: Path) -> CoverageGrid:
    """The coverage map of an `.npz` file; ValueError with the reason if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return CoverageGrid.from_arrays(dict(arrays))
    except (OSError, ValueError, zipfile.BadZipFile) as exc:  # missing, not an .npz, not a coverage map
        raise ValueError(f"{path}: cannot read a coverage map ({exc})") from None


def _no_loads() -> Mapping[str, float]:
    return {}


def _no_state(_cell: str) -> str:
    return "unknown"


class RadioService:
    def __init__(self, coverage_file: Path | None, cell_loads: CellLoads = _no_loads,
                 cell_state: CellState = _no_state, silent_after_periods: int = 3) -> None:
        self.coverage_file = coverage_file
        self.cell_loads, self.cell_state = cell_loads, cell_state
        self._silent = f"no KPI for more than {silent_after_periods} periods"
        self._grid: CoverageGrid | None = None
        self._overlay: bytes | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Reads the map now (at start): a bad file fails the start with its reason, not the first request."""
        if self.coverage_file is not None:
            started = time.perf_counter()
            self._grid = read_coverage(self.coverage_file)
            log.info("coverage map %s: %d x %d pixels of %.0f m, %d cells, read in %.2f s", self.coverage_file,
                     *self._grid.shape, self._grid.resolution_m, len(self._grid.cells), time.perf_counter() - started)

    @property
    def grid(self) -> CoverageGrid:
        if self._grid is None:
            raise NoCoverageMap(NO_MAP)
        return self._grid

    def at(self, lat: float, lon: float) -> dict[str, Any]:
        """The contract's radio document for a point (NoCoverageMap, OutsideMap)."""
        grid = self.grid
        x, y = to_utm(lon, lat)[0]
        s = radio.sample(grid, float(x), float(y))
        if s is None:
            raise OutsideMap(f"({lat}, {lon}) is outside the area the coverage map covers (Belize)")
        live = self.cell_loads().get(s.cell)
        e = radio.estimate(s, grid.link, live, self._silent if self.cell_state(s.cell) == "silent" else None)
        return {
            "lat": lat, "lon": lon, "coverage": e.coverage, "rsrp_dbm": round(e.rsrp_dbm, 1),
            "sinr_db": round(e.dl_sinr_db, 1), "ul_sinr_db": round(e.ul_sinr_db, 1), "cell": e.cell,
            "cell_load_ul": round(e.cell_load_ul, 3), "load_source": "live" if e.load_live else "planning",
            "ul_mbps": round(e.ul_mbps, 2), "video": e.video, "verdict": e.verdict, "basis": e.basis,
        }

    def overlay_gz(self) -> bytes:
        """The coverage classes (good / fair / poor; none is left blank) as gzipped GeoJSON, built on first use."""
        grid = self.grid
        with self._lock:
            if self._overlay is None:
                started = time.perf_counter()
                doc = class_polygons(grid, grid.rsrp_dbm, radio.COVERAGE_CLASSES)
                self._overlay = gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)
                log.info("coverage overlay built in %.2f s (%d bytes gzipped)", time.perf_counter() - started,
                         len(self._overlay))
            return self._overlay
