"""Coverage raster (RSRP, DL SINR) over a plan's area, and its exports: GeoTIFF, PNG map, GeoJSON classes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import box, union_all
from shapely.geometry import mapping, shape

from simulator.plan import NetworkPlan
from simulator.radio.network import Ues, snapshot
from simulator.sim import radio_config
from traffic.utm import UTM16N, to_lonlat, to_utm

FloatArray = NDArray[np.float64]
DISTRICTS = Path(__file__).parent / "data" / "belize-districts.geojson"
# RSRP classes (dBm) a planner reads off the map; lower bounds.
RSRP_CLASSES: tuple[tuple[str, float], ...] = (
    ("excellent", -85.0), ("good", -95.0), ("fair", -105.0), ("edge", -115.0),
)


@dataclass(frozen=True)
class Raster:
    x0: float  # west edge, UTM m
    y0: float  # north edge, UTM m
    resolution_m: float
    rsrp_dbm: FloatArray  # (rows, cols), row 0 = north
    sinr_db: FloatArray
    crs: str = UTM16N

    def centres(self) -> FloatArray:
        rows, cols = self.rsrp_dbm.shape
        xs = self.x0 + (np.arange(cols) + 0.5) * self.resolution_m
        ys = self.y0 - (np.arange(rows) + 0.5) * self.resolution_m
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


def bounds_of_districts(path: Path = DISTRICTS) -> tuple[float, float, float, float]:
    geoms = [shape(f["geometry"]) for f in json.loads(path.read_text())["features"]]
    lon0, lat0, lon1, lat1 = union_all(geoms).bounds
    xy = to_utm([lon0, lon1], [lat0, lat1])
    return float(xy[0, 0]), float(xy[0, 1]), float(xy[1, 0]), float(xy[1, 1])


def coverage_raster(
    plan: NetworkPlan,
    bounds: tuple[float, float, float, float],
    resolution_m: float = 1000.0,
    chunk_rows: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> Raster:
    """Median (no shadowing) outdoor RSRP and full-load DL SINR at 1.5 m on a north-up grid."""
    xmin, ymin, xmax, ymax = bounds
    cols = int(np.ceil((xmax - xmin) / resolution_m))
    rows = int(np.ceil((ymax - ymin) / resolution_m))
    cells, cfg, rng = plan.cells(), radio_config(plan), np.random.default_rng(0)
    rsrp, sinr = np.empty((rows, cols)), np.empty((rows, cols))
    xs = xmin + (np.arange(cols) + 0.5) * resolution_m
    for r0 in range(0, rows, chunk_rows):
        r1 = min(rows, r0 + chunk_rows)
        ys = ymax - (np.arange(r0, r1) + 0.5) * resolution_m
        gx, gy = np.meshgrid(xs, ys)
        n = gx.size
        ues = Ues(np.column_stack([gx.ravel(), gy.ravel()]), np.full(n, 1.5), np.zeros(n, bool), np.zeros(n, bool))
        snap = snapshot(rng, cells, plan.antenna, ues, cfg, median=True)
        rsrp[r0:r1] = snap.rsrp_dbm.reshape(r1 - r0, cols)
        sinr[r0:r1] = snap.dl_sinr_db.reshape(r1 - r0, cols)
        if progress:
            progress(r1, rows)
    return Raster(xmin, ymax, resolution_m, rsrp, sinr)


def write_geotiff(path: Path, raster: Raster, band: str = "rsrp_dbm") -> None:
    """Float32 GeoTIFF in UTM 16N (GeoKeys written by hand; tifffile has no GeoTIFF writer)."""
    import tifffile

    res = raster.resolution_m
    geokeys = (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32616)  # projected, area, EPSG
    tifffile.imwrite(
        path,
        getattr(raster, band).astype(np.float32),
        extratags=[
            (33550, "d", 3, (res, res, 0.0), False),
            (33922, "d", 6, (0.0, 0.0, 0.0, raster.x0, raster.y0, 0.0), False),
            (34735, "H", len(geokeys), geokeys, False),
        ],
    )


def class_polygons(raster: Raster) -> dict[str, Any]:
    """GeoJSON FeatureCollection (WGS84) of the RSRP classes, built from row runs of equal class."""
    res = raster.resolution_m
    rsrp = raster.rsrp_dbm
    feats = []
    upper = np.inf
    for name, lower in RSRP_CLASSES:
        mask = (rsrp >= lower) & (rsrp < upper)
        upper = lower
        padded = np.pad(mask, ((0, 0), (1, 1))).astype(np.int8)
        edges = np.diff(padded, axis=1)
        r_start, c_start = np.nonzero(edges == 1)
        _, c_end = np.nonzero(edges == -1)
        if not len(r_start):
            continue
        boxes = box(raster.x0 + c_start * res, raster.y0 - (r_start + 1) * res,
                    raster.x0 + c_end * res, raster.y0 - r_start * res)
        geom = union_all(boxes).simplify(res / 2)
        lonlat = shapely.transform(geom, to_lonlat)
        feats.append({"type": "Feature", "properties": {"class": name, "rsrp_min_dbm": lower},
                      "geometry": mapping(lonlat)})
    return {"type": "FeatureCollection", "features": feats}


def plot_map(path: Path, raster: Raster, plan: NetworkPlan, band: str = "rsrp_dbm") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = raster.rsrp_dbm.shape
    extent = (raster.x0 / 1e3, (raster.x0 + cols * raster.resolution_m) / 1e3,
              (raster.y0 - rows * raster.resolution_m) / 1e3, raster.y0 / 1e3)
    fig, ax = plt.subplots(figsize=(6.5, 9), dpi=110)
    data = getattr(raster, band)
    vmin, vmax, label = (-125, -65, "RSRP (dBm)") if band == "rsrp_dbm" else (-5, 25, "DL SINR, full load (dB)")
    cmap = matplotlib.colormaps["turbo"].with_extremes(under="#dddddd")
    im = ax.imshow(data, extent=extent, cmap=cmap, vmin=vmin, vmax=vmax, origin="upper")
    for f in json.loads(DISTRICTS.read_text())["features"]:
        g = shape(f["geometry"])
        for poly in getattr(g, "geoms", [g]):
            lon, lat = np.asarray(poly.exterior.coords).T
            xy = to_utm(lon, lat) / 1e3
            ax.plot(xy[:, 0], xy[:, 1], color="black", lw=0.5)
    sxy = plan.cells().site_xy() / 1e3
    ax.scatter(sxy[:, 0], sxy[:, 1], s=8, c="black", marker="^", label="sites")
    ax.set_xlabel("UTM 16N easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_title(f"{plan.name}\nmedian outdoor {label}, {raster.resolution_m:.0f} m grid", fontsize=9)
    fig.colorbar(im, ax=ax, label=f"{label}; grey: below {vmin}", shrink=0.7, extend="min")
    ax.legend(loc="lower right", fontsize=8)
    ax.text(0.01, 0.005, "Districts: geoBoundaries (Runfola et al. 2020); © OpenStreetMap contributors",
            transform=ax.transAxes, fontsize=6)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
