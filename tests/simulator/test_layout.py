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
    sites = layout.hex_sites(500.0)
    ue = layout.drop_in_hexagons(rng, sites, 500.0, 3000, 35.0)
    v = layout.wrapped_vectors(ue, sites, 500.0)
    d = np.hypot(v[..., 0], v[..., 1])
    assert d.min() >= 35.0 - 1e-9
    assert d.min(axis=1).max() <= 500.0 / np.sqrt(3.0) + 1e-6  # within a hexagon circumradius


def test_hex_cells_have_three_sectors_per_site() -> None:
    c = layout.hex_cells()
    assert len(c) == 57 and c.n_sites == 19
    assert set(c.azimuth_deg[:3]) == {30.0, 150.0, 270.0}
