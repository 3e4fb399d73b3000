import numpy as np

from simulator.radio.shadowing import shadow_field


def test_field_has_unit_variance_and_exponential_correlation() -> None:
    rng = np.random.default_rng(0)
    f = shadow_field(rng, np.full(4000, 50.0))
    x = f.sample(np.array([[0.0, 0.0], [50.0, 0.0], [400.0, 0.0]]))  # (3 points, 4000 fields)
    assert abs(x.std(axis=1) - 1.0).max() < 0.06
    assert abs(np.corrcoef(x[0], x[1])[0, 1] - np.exp(-1.0)) < 0.06
    assert abs(np.corrcoef(x[0], x[2])[0, 1]) < 0.06


def test_same_rng_seed_gives_the_same_field() -> None:
    xy = np.array([[10.0, 20.0]])
    a = shadow_field(np.random.default_rng(5), np.array([37.0, 50.0])).sample(xy)
    b = shadow_field(np.random.default_rng(5), np.array([37.0, 50.0])).sample(xy)
    np.testing.assert_array_equal(a, b)
