"""Coverage raster (RSRP, SINR, best server, uplink) over a plan's area, and its exports: GeoTIFF, PNG map,
GeoJSON classes, and the `.npz` map psn answers "radio conditions at a point" from (netmgmt.coverage)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import box, union_all
from shapely.geometry import shape

from netmgmt.coverage import CoverageGrid, LinkParams
from netmgmt.coverage import class_polygons as rsrp_class_polygons
from netmgmt.radio import COVERAGE_MIN_DBM
from simulator.plan import NetworkPlan
from simulator.radio.network import Ues, link_budget, path_gain, uplink_interference, uplink_rx, uplink_sources
from simulator.sim import radio_config
from traffic.utm import to_utm

FloatArray = NDArray[np.float64]
DISTRICTS = Path(__file__).parent / "data" / "belize-districts.geojson"
# RSRP classes (dBm) a planner reads off the map; lower bounds.
RSRP_CLASSES: tuple[tuple[str, float], ...] = (
    ("excellent", -85.0), ("good", -95.0), ("fair", -105.0), ("edge", -115.0),
)
# The other cells' uplink PRB load behind the map's uplink SINR (the snapshot's default), and the serving cell's
# psn assumes when it has no live KPI.
PLANNING_UL_LOAD = 0.5


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
    area: Path = DISTRICTS,
) -> CoverageGrid:
    """Median (no shadowing) outdoor RSRP, full-load DL SINR, best server and uplink at 1.5 m on a north-up grid.

    Uplink SINR with every other cell's PRBs loaded at the planning load, its interferers spread evenly over the
    in-country pixels it covers: a first pass over the grid sums them (so no pixel depends on the chunking), a
    second computes each pixel."""
    xmin, ymin, xmax, ymax = bounds
    cols = int(np.ceil((xmax - xmin) / resolution_m))
    rows = int(np.ceil((ymax - ymin) / resolution_m))
    cells, cfg = plan.cells(), radio_config(plan)
    inside = _inside(area, xmin, ymax, resolution_m, rows, cols)
    params = LinkParams(cfg.prbs, cfg.slot_s, cfg.overhead_ul, PLANNING_UL_LOAD)
    xs = xmin + (np.arange(cols) + 0.5) * resolution_m

    def chunks(done: int) -> Iterator[tuple[slice, FloatArray]]:
        for r0 in range(0, rows, chunk_rows):
            r1 = min(rows, r0 + chunk_rows)
            gx, gy = np.meshgrid(xs, ymax - (np.arange(r0, r1) + 0.5) * resolution_m)
            n = gx.size
            ues = Ues(np.column_stack([gx.ravel(), gy.ravel()]), np.full(n, 1.5), np.zeros(n, bool),
                      np.zeros(n, bool))
            yield slice(r0, r1), path_gain(np.random.default_rng(0), cells, plan.antenna, ues, cfg, median=True)
            if progress:
                progress(done + r1, 2 * rows)

    by_src, served = np.zeros((len(cells), len(cells))), np.zeros(len(cells))
    for part, gain in chunks(0):
        snap = link_budget(gain, cells, cfg)
        source = inside[part].ravel() & (snap.rsrp_dbm >= COVERAGE_MIN_DBM)
        p_rx, _ = uplink_rx(gain[source], snap.serving[source], cfg)
        b, c = uplink_sources(p_rx, snap.serving[source], len(cells))
        by_src += b
        served += c
    interference = uplink_interference(by_src, served, PLANNING_UL_LOAD)
    out = {k: np.empty((rows, cols)) for k in ("serving", "rsrp_dbm", "dl_sinr_db", "ul_sinr_db", "ul_max_prbs")}
    for part, gain in chunks(rows):
        snap = link_budget(gain, cells, cfg, ul_interference=interference)
        for key, values in (("serving", snap.serving), ("rsrp_dbm", snap.rsrp_dbm), ("dl_sinr_db", snap.dl_sinr_db),
                            ("ul_sinr_db", snap.ul_sinr_db), ("ul_max_prbs", snap.ul_max_prbs)):
            out[key][part] = values.reshape(-1, cols)
    return CoverageGrid(xmin, ymax, resolution_m, cells.ids, out["serving"].astype(np.int64), out["rsrp_dbm"],
                        out["dl_sinr_db"], out["ul_sinr_db"], out["ul_max_prbs"], inside, params)


def _inside(area: Path, x0: float, y0: float, res: float, rows: int, cols: int) -> NDArray[np.bool_]:
    """Pixels whose square touches the country's districts (cays and coast included)."""
    country = shapely.transform(union_all([shape(f["geometry"]) for f in json.loads(area.read_text())["features"]]),
                                to_utm_xy)
    shapely.prepare(country)
    c, r = np.meshgrid(np.arange(cols), np.arange(rows))
    squares = box(x0 + c * res, y0 - (r + 1) * res, x0 + (c + 1) * res, y0 - r * res)
    return np.asarray(shapely.intersects(country, squares), dtype=bool)


def to_utm_xy(lonlat: FloatArray) -> FloatArray:
    return to_utm(lonlat[:, 0], lonlat[:, 1])


def write_npz(path: Path, grid: CoverageGrid) -> None:
    """The map psn loads (Settings.coverage_file)."""
    with path.open("wb") as f:
        np.savez_compressed(f, allow_pickle=False, **grid.to_arrays())


def write_geotiff(path: Path, raster: CoverageGrid, band: str = "rsrp_dbm") -> None:
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


def class_polygons(grid: CoverageGrid) -> dict[str, Any]:
    """GeoJSON FeatureCollection (WGS84) of the planner's RSRP classes over the country."""
    return rsrp_class_polygons(grid, grid.rsrp_dbm, RSRP_CLASSES)


def plot_map(path: Path, raster: CoverageGrid, plan: NetworkPlan, band: str = "rsrp_dbm") -> None:
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
