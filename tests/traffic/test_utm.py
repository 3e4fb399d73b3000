import numpy as np

from traffic.utm import to_lonlat, to_utm

# Oracle: pyproj.Proj(proj="utm", zone=16, ellps="WGS84") — PROJ's own UTM string, not the EPSG:32616
# Transformer under test — rounded to 0.01 m.
BELIZE_CITY = (-88.1962, 17.5046), (373010.64, 1935776.56)
BELMOPAN = (-88.7700, 17.2510), (311823.23, 1908184.43)


def test_belize_city_and_belmopan_in_utm_16n() -> None:
    (lon1, lat1), xy1 = BELIZE_CITY
    (lon2, lat2), xy2 = BELMOPAN
    np.testing.assert_allclose(to_utm([lon1, lon2], [lat1, lat2]), [xy1, xy2], rtol=0, atol=0.006)


def test_one_point_gives_one_row() -> None:
    (lon, lat), xy = BELIZE_CITY
    np.testing.assert_allclose(to_utm(lon, lat), [xy], rtol=0, atol=0.006)


def test_back_to_lonlat_for_one_point_and_many() -> None:
    (lon1, lat1), xy1 = BELIZE_CITY
    (lon2, lat2), xy2 = BELMOPAN
    # 0.005 m of rounding in the literals is under 1e-7 degrees.
    np.testing.assert_allclose(to_lonlat(np.array(xy1)), [lon1, lat1], rtol=0, atol=1e-7)
    np.testing.assert_allclose(to_lonlat(np.array([xy1, xy2])), [[lon1, lat1], [lon2, lat2]], rtol=0, atol=1e-7)
