"""A coverage map: the planning raster a radio model predicts (`psn sim coverage`) and psn answers from.

A north-up grid in UTM 16N: per pixel the best-server cell, median outdoor RSRP at 1.5 m, downlink SINR at full
interfering load, uplink SINR at the planning load of the neighbours, and the uplink PRBs a UE can fill before it
runs out of power (the cell-edge cap), with the link parameters the rates come from. Stored as the arrays of an
`.npz` (`to_arrays` / `from_arrays`; the simulator writes it, psn reads it, neither imports the other).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import box, union_all
from shapely.geometry import mapping

from traffic.utm import UTM16N, to_lonlat

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FORMAT = 1  # bump when the arrays change meaning
_PIXEL_ARRAYS = ("serving", "rsrp_dbm", "dl_sinr_db", "ul_sinr_db", "ul_max_prbs", "inside")
_SCALARS = ("x0", "y0", "resolution_m", "prbs", "slot_s", "overhead_ul", "planning_ul_load")


@dataclass(frozen=True)
class LinkParams:
    """What turns an uplink SINR and a PRB count into a rate: the carrier's PRBs, the slot, the uplink overhead
    (DMRS, SRS), and the uplink PRB load of neighbour cells the map's uplink SINR assumed."""

    prbs: int = 50
    slot_s: float = 1e-3
    overhead_ul: float = 0.15
    planning_ul_load: float = 0.5


@dataclass(frozen=True)
class CoverageGrid:
    x0: float  # west edge, UTM 16N m
    y0: float  # north edge
    resolution_m: float
    cells: tuple[str, ...]
    serving: IntArray  # (rows, cols) index into cells; row 0 = north
    rsrp_dbm: FloatArray
    dl_sinr_db: FloatArray
    ul_sinr_db: FloatArray
    ul_max_prbs: FloatArray
    inside: BoolArray  # the pixel touches the country; outside it the map makes no claim
    link: LinkParams = LinkParams()
    crs: str = UTM16N

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.rsrp_dbm.shape
        return rows, cols

    def centres(self) -> FloatArray:
        """(rows * cols, 2) pixel centres in UTM metres, row by row from the north-west."""
        rows, cols = self.shape
        xs = self.x0 + (np.arange(cols) + 0.5) * self.resolution_m
        ys = self.y0 - (np.arange(rows) + 0.5) * self.resolution_m
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])

    def pixel(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, col) of the pixel containing the UTM point (nearest-pixel sampling), None off the grid (or not a
        point: pyproj gives inf for places far outside the zone)."""
        rows, cols = self.shape
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        col = int(np.floor((x - self.x0) / self.resolution_m))
        row = int(np.floor((self.y0 - y) / self.resolution_m))
        return (row, col) if 0 <= row < rows and 0 <= col < cols else None

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "format": np.array(FORMAT),
            "crs": np.array(self.crs),
            "cells": np.array(self.cells, dtype=str),
            "serving": self.serving.astype(np.int32),
            "rsrp_dbm": self.rsrp_dbm.astype(np.float32),
            "dl_sinr_db": self.dl_sinr_db.astype(np.float32),
            "ul_sinr_db": self.ul_sinr_db.astype(np.float32),
            "ul_max_prbs": self.ul_max_prbs.astype(np.float32),
            "inside": self.inside.astype(bool),
            "x0": np.array(self.x0), "y0": np.array(self.y0), "resolution_m": np.array(self.resolution_m),
            "prbs": np.array(self.link.prbs), "slot_s": np.array(self.link.slot_s),
            "overhead_ul": np.array(self.link.overhead_ul), "planning_ul_load": np.array(self.link.planning_ul_load),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]]) -> CoverageGrid:
        """ValueError naming what is wrong when the arrays are not a coverage map of this format."""
        missing = sorted({"format", "crs", "cells", *_PIXEL_ARRAYS, *_SCALARS} - set(arrays))
        if missing:
            raise ValueError(f"not a coverage map: no {', '.join(missing)}")
        if float(_scalar(arrays, "format")) != FORMAT:
            raise ValueError(f"coverage map format {arrays['format']!r}, this psn reads {FORMAT}")
        if str(arrays["crs"]) != UTM16N:
            raise ValueError(f"coverage map in {arrays['crs']}, expected {UTM16N}")
        scalars = {k: float(_scalar(arrays, k)) for k in _SCALARS}
        pixels = {k: np.asarray(arrays[k]) for k in _PIXEL_ARRAYS}
        shape = pixels["rsrp_dbm"].shape
        if len(shape) != 2 or 0 in shape or any(a.shape != shape for a in pixels.values()):
            raise ValueError(f"coverage map arrays differ in shape: {({k: a.shape for k, a in pixels.items()})}")
        cells = tuple(str(c) for c in np.asarray(arrays["cells"]).ravel())
        serving = pixels["serving"].astype(np.int64)
        if not cells or serving.min() < 0 or serving.max() >= len(cells):
            raise ValueError(f"coverage map serving-cell indexes out of range for its {len(cells)} cells")
        floats = {k: pixels[k].astype(np.float64) for k in ("rsrp_dbm", "dl_sinr_db", "ul_sinr_db", "ul_max_prbs")}
        if not all(np.isfinite(a).all() for a in floats.values()) or not np.isfinite(list(scalars.values())).all():
            raise ValueError("coverage map holds NaN or infinite values")
        link = LinkParams(int(scalars["prbs"]), scalars["slot_s"], scalars["overhead_ul"], scalars["planning_ul_load"])
        if not (scalars["resolution_m"] > 0 and link.prbs > 0 and link.slot_s > 0 and 0 <= link.overhead_ul < 1
                and 0 <= link.planning_ul_load <= 1 and (floats["ul_max_prbs"] >= 0).all()):
            raise ValueError(f"coverage map parameters out of range: {scalars}")
        return cls(scalars["x0"], scalars["y0"], scalars["resolution_m"], cells, serving, floats["rsrp_dbm"],
                   floats["dl_sinr_db"], floats["ul_sinr_db"], floats["ul_max_prbs"], pixels["inside"].astype(bool),
                   link)


def _scalar(arrays: Mapping[str, NDArray[Any]], key: str) -> NDArray[Any]:
    value = np.asarray(arrays[key])
    if value.shape != () or value.dtype.kind not in "iuf":
        raise ValueError(f"coverage map {key} is not a number: {value!r}")
    return value


def class_polygons(grid: CoverageGrid, values: FloatArray, classes: Sequence[tuple[str, float]],
                   key: str = "rsrp_min_dbm") -> dict[str, Any]:
    """GeoJSON FeatureCollection (WGS84): one feature per class (name, lower bound; highest first) over the
    pixels inside the country, built from row runs of equal class; values below the last bound get none."""
    res = grid.resolution_m
    feats = []
    upper = np.inf
    for name, lower in classes:
        mask = (values >= lower) & (values < upper) & grid.inside
        upper = lower
        padded = np.pad(mask, ((0, 0), (1, 1))).astype(np.int8)
        edges = np.diff(padded, axis=1)
        r_start, c_start = np.nonzero(edges == 1)
        _, c_end = np.nonzero(edges == -1)
        if not len(r_start):
            continue
        boxes = box(grid.x0 + c_start * res, grid.y0 - (r_start + 1) * res,
                    grid.x0 + c_end * res, grid.y0 - r_start * res)
        geom = union_all(boxes).simplify(res / 2)
        lonlat = shapely.transform(geom, to_lonlat)
        feats.append({"type": "Feature", "properties": {"class": name, key: lower}, "geometry": mapping(lonlat)})
    return {"type": "FeatureCollection", "features": feats}
