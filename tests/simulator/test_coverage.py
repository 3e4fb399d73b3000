import json

import numpy as np
import tifffile

from netmgmt.radio import sample
from psn.net.radio import read_coverage
from simulator.coverage import class_polygons, coverage_raster, plot_map, write_geotiff, write_npz
from traffic.utm import to_utm


def test_raster_exports(tmp_path, small_plan) -> None:
    c = to_utm([-88.25], [17.5])[0]
    bounds = (c[0] - 15e3, c[1] - 10e3, c[0] + 15e3, c[1] + 10e3)
    r = coverage_raster(small_plan, bounds, 1000.0, chunk_rows=7)
    assert r.rsrp_dbm.shape == (20, 30)
    # strongest pixel next to a site, weakest far away
    assert r.rsrp_dbm.max() > -80 and r.rsrp_dbm.min() < r.rsrp_dbm.max() - 30
    write_geotiff(tmp_path / "c.tif", r)
    with tifffile.TiffFile(tmp_path / "c.tif") as tif:
        page = tif.pages[0]
        np.testing.assert_allclose(page.asarray(), r.rsrp_dbm.astype(np.float32))
        assert page.tags[33550].value[:2] == (1000.0, 1000.0)
        assert page.tags[33922].value[3:5] == (r.x0, r.y0)
        assert 32616 in page.tags[34735].value
    gj = class_polygons(r)
    json.dumps(gj)
    assert gj["features"] and all(-89 < f["geometry"]["coordinates"][0][0][0] < -87 for f in gj["features"]
                                  if f["geometry"]["type"] == "Polygon")
    plot_map(tmp_path / "c.png", r, small_plan)
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_the_npz_the_simulator_writes_is_the_map_psn_reads(tmp_path, small_plan) -> None:
    c = to_utm([-88.25], [17.5])[0]
    r = coverage_raster(small_plan, (c[0] - 6e3, c[1] - 4e3, c[0] + 6e3, c[1] + 4e3), 1000.0, chunk_rows=3)
    write_npz(tmp_path / "coverage.npz", r)
    back = read_coverage(tmp_path / "coverage.npz")
    assert back.shape == r.shape == (8, 12) and back.cells == small_plan.cells().ids
    assert (back.x0, back.y0, back.resolution_m, back.link) == (r.x0, r.y0, 1000.0, r.link)
    np.testing.assert_array_equal(back.inside, r.inside)
    assert back.link.prbs == 50 and back.inside[:, :4].all()  # the west 4 km are inland; the east is the sea's edge
    for row, col in ((0, 0), (3, 7), (7, 3)):
        x, y = r.x0 + (col + 0.5) * 1000.0, r.y0 - (row + 0.5) * 1000.0
        s = sample(back, x, y)
        assert s is not None and s.cell == small_plan.cells().ids[r.serving[row, col]]
        # float32 on disk: the same values to its precision
        assert (s.rsrp_dbm, s.dl_sinr_db, s.ul_sinr_db, s.ul_max_prbs) == (
            np.float32(r.rsrp_dbm[row, col]), np.float32(r.dl_sinr_db[row, col]),
            np.float32(r.ul_sinr_db[row, col]), np.float32(r.ul_max_prbs[row, col]))
    # The uplink interference is summed over the whole grid first: a pixel does not depend on the chunking.
    again = coverage_raster(small_plan, (c[0] - 6e3, c[1] - 4e3, c[0] + 6e3, c[1] + 4e3), 1000.0, chunk_rows=8)
    np.testing.assert_allclose(again.ul_sinr_db, r.ul_sinr_db)
    np.testing.assert_array_equal(again.serving, r.serving)
