import json

import numpy as np
import tifffile

from simulator.coverage import class_polygons, coverage_raster, plot_map, write_geotiff
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
