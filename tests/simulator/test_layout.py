import numpy as np

from simulator.radio import layout


def test_19_sites_and_wrapped_copies_tile_the_plane() -> None:
    sites = layout.hex_sites(500.0)
    assert len(sites) == 19 and np.allclose(sites[0], 0.0)
    everything = (sites[None] + layout.wrap_offsets(500.0)[:, None]).reshape(-1, 2)
    d = np.hypot(*(everything[:, None] - everything[None]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min() > 499.0  # no two copies overlap: a clean 133-site lattice


def test_drops_fall_in_the_voronoi_hexagon_of_their_site_with_wraparound() -> None:
    rng = np.random.default_rng(3)
    cells = layout.hex_cells(500.0, wrap_around=True)
    ue = layout.drop_in_hexagons(rng, cells.site_xy(), 500.0, 3000, 35.0)
    v = cells.site_to_ue(ue)
    d = np.hypot(v[..., 0], v[..., 1])
    assert d.min() >= 35.0 - 1e-9
    assert d.min(axis=1).max() <= 500.0 / np.sqrt(3.0) + 1e-6  # within a hexagon circumradius


def test_with_wraparound_every_site_sees_the_same_two_rings_of_neighbours() -> None:
    # A 19-site cluster on a torus: from any site, 6 sites at ISD, 6 at ISD * sqrt(3) = 866.03 m and 6 at
    # 2 ISD. Without wrap-around an outer site sees its opposite site 2000 m away.
    expected = [0.0] + [500.0] * 6 + [866.03] * 6 + [1000.0] * 6
    cells = layout.hex_cells(500.0, wrap_around=True)
    v = cells.site_to_ue(cells.site_xy())  # (site as UE, site)
    for row in np.hypot(v[..., 0], v[..., 1]):
        np.testing.assert_allclose(np.sort(row), expected, atol=0.01)


def test_hex_cells_point_their_sectors_between_neighbouring_sites() -> None:
    c = layout.hex_cells()
    assert len(c) == 57 and c.n_sites == 19 and c.wrap_xy is None
    # neighbours of the centre site lie at compass bearings 30, 90, ..., 330 (east = 90°); the TR's
    # boresights 30° / 150° / 270° counter-clockwise from east are 60° / 300° / 180° on the compass
    assert list(c.azimuth_deg[:3]) == [60.0, 300.0, 180.0]
    nb = c.site_xy()[1:7]
    bearings = np.sort((90.0 - np.degrees(np.arctan2(nb[:, 1], nb[:, 0]))) % 360.0)
    np.testing.assert_allclose(bearings, [30.0, 90.0, 150.0, 210.0, 270.0, 330.0], atol=1e-9)
