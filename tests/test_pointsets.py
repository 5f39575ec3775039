import warnings

import numpy as np
import pytest

from iadb_graphics import pointsets as ps
from iadb_graphics._kernels import poisson as kpoisson
from iadb_graphics._kernels import sot as ksot
from iadb_graphics.densities import Gaussian, ImageDensity
from iadb_graphics.metrics.spectral import min_distance, periodogram, radial_power
from tests.naive import poisson as npoisson
from tests.naive import sot as nsot


def _blue(n, *, d=2, rng=None):
    return ps.sot_blue_noise(n, d=d, n_iters=64, n_dirs=16, rng=rng)


GENERATORS = {"white": ps.white, "jittered": ps.jittered, "sobol": ps.sobol, "halton": ps.halton,
              "poisson": ps.poisson_disk, "bluenoise": _blue}
ND = ["white", "jittered", "sobol", "halton", "bluenoise"]


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("n", [0, 1, 2, 37])
def test_contract_shape_bounds_reproducible(name, n):
    make = GENERATORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = make(n, rng=7)
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.shape == (n, 2)
    assert np.all(x >= 0) and np.all(x < 1)
    np.testing.assert_array_equal(x, make(n, rng=7))
    np.testing.assert_array_equal(x, make(n, rng=np.random.default_rng(7)))
    if n >= 2:
        assert not np.array_equal(x, make(n, rng=8))


@pytest.mark.parametrize("name", ND)
def test_higher_dimension(name):
    x = GENERATORS[name](50, d=3, rng=1)
    assert x.shape == (50, 3) and np.all(x >= 0) and np.all(x < 1)


def test_bad_input():
    with pytest.raises(ValueError, match="n"):
        ps.white(-1)
    with pytest.raises(TypeError, match="n"):
        ps.jittered(2.5)
    with pytest.raises(TypeError, match="rng"):
        ps.sobol(4, rng="seed")
    with pytest.raises(ValueError, match="n or radius"):
        ps.poisson_disk()
    with pytest.raises(ValueError, match="d=2"):
        ps.poisson_disk(10, d=3)
    with pytest.raises(ValueError, match="radius"):
        ps.poisson_disk(radius=0.7)
    with pytest.raises(TypeError, match="density"):
        ps.sot_blue_noise(10, density=np.ones((4, 4)))


def test_jittered_is_stratified():
    x = ps.jittered(16, rng=0)
    cells = np.floor(x * 4).astype(int)
    assert len({tuple(c) for c in cells}) == 16
    x = ps.jittered(20, rng=0)  # 4x4 grid + 4 extra points in distinct cells
    counts = np.bincount((np.floor(x[:, 0] * 4) * 4 + np.floor(x[:, 1] * 4)).astype(int), minlength=16)
    assert counts.min() == 1 and counts.max() == 2 and counts.sum() == 20


def test_sobol_prefix_of_power_of_two():
    a = ps.sobol(100, rng=3)
    b = ps.sobol(128, rng=3)
    np.testing.assert_array_equal(a, b[:100])


def test_poisson_min_distance_by_radius():
    for r in (0.05, 0.02):
        x = ps.poisson_disk(radius=r, rng=4)
        assert min_distance(x, torus=True) >= r
        assert 0.5 < len(x) * r * r < 0.75  # a maximal set fills the square


def test_poisson_by_n():
    x = ps.poisson_disk(500, rng=5)
    assert x.shape == (500, 2)
    assert min_distance(x) * np.sqrt(500) > 0.7


def test_poisson_kernel_matches_twin():
    u = np.random.default_rng(2).random(20000)
    a, ea = kpoisson.bridson_torus(0.08, 10, u, 400)
    b, eb = npoisson.bridson_torus(0.08, 10, u, 400)
    assert ea == eb
    np.testing.assert_allclose(a, b, atol=1e-12)
    a, ea = kpoisson.bridson_torus(0.08, 10, u[:500], 400)  # exhausted stream: valid prefix
    b, eb = npoisson.bridson_torus(0.08, 10, u[:500], 400)
    assert ea and eb
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_resort_from_previous_order():
    rng = np.random.default_rng(5)
    keys = rng.random(500)
    for start in (np.argsort(keys + 0.01 * rng.random(500)), rng.permutation(500)):  # near / far
        order = start.astype(np.int32)
        skeys = np.empty(500)
        ksot.resort(keys, order, skeys, 16 * 500)
        np.testing.assert_array_equal(order, np.argsort(keys))
        np.testing.assert_array_equal(skeys, np.sort(keys))


def test_rank_order_is_stable_argsort():
    rng = np.random.default_rng(0)
    for keys in (rng.random(1000), np.repeat(rng.random(50), 20), np.r_[rng.random(500), np.zeros(300)]):
        n = len(keys)
        order = np.empty(n, np.int64)
        ksot.rank_order(keys, keys.min(), keys.max(), order, np.empty(n), np.empty(n, np.int64),
                        np.empty(n + 1, np.int64))
        np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))


def test_box_sum_quantile_matches_twin_and_cdf():
    rng = np.random.default_rng(1)
    for a, b in [(0.3, 0.7), (0.7, 0.3), (1.0, 0.0), (0.5, 0.5)]:
        u = rng.random(200)
        q = np.array([ksot.box_sum_quantile(v, a, b) for v in u])
        np.testing.assert_allclose(q, nsot.box_sum_quantile(u, a, b), atol=1e-14)
        z = rng.random((200000, 2)) * [a, b]
        np.testing.assert_allclose(np.quantile(z.sum(1), u), q, atol=5e-3)


def test_sot_uniform_kernel_matches_twin():
    rng = np.random.default_rng(3)
    x = rng.random((300, 2))
    ang = rng.random((25, 12)) * 2 * np.pi
    dirs = np.stack([np.cos(ang), np.sin(ang)], -1)
    y = ksot.sot_uniform2d(x, dirs, 1.0, 2)
    np.testing.assert_allclose(y, nsot.sot_uniform2d(x, dirs, 1.0), atol=1e-10)
    x0 = x.copy()
    np.testing.assert_array_equal(ksot.sot_uniform2d(x, dirs, 1.0, 1), y)  # thread-count independent
    np.testing.assert_array_equal(ksot.sot_uniform2d(x, dirs, 1.0, 5), y)
    np.testing.assert_array_equal(x, x0)  # input untouched


def test_sot_tabulated_kernel_matches_twin():
    rng = np.random.default_rng(4)
    n, k = 200, 40
    x = rng.random((n, 3))
    dirs = rng.standard_normal((k, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    table = ps.grid_quantile_table(np.full((1, 3), 0.5), np.ones(1), np.ones(3), dirs, n)
    idx = np.argsort(rng.random((20, k)), axis=1)[:, :8]  # distinct rows per iteration
    np.testing.assert_allclose(ksot.sot_tabulated(x, dirs, table, idx, 1.0, 2),
                               nsot.sot_tabulated(x, dirs, table, idx, 1.0), atol=1e-10)


def test_grid_quantile_table_matches_closed_form():
    n, k = 400, 16
    ang = (np.arange(k) + 0.5) * np.pi / k
    dirs = np.stack([np.cos(ang), np.sin(ang)], 1)
    table = ps.grid_quantile_table(np.full((1, 2), 0.5), np.ones(1), np.ones(2), dirs, n)
    u = (np.arange(n) + 0.5) / n
    exact = (np.minimum(dirs[:, :1], 0) + np.minimum(dirs[:, 1:], 0)
             + nsot.box_sum_quantile(u[None, :], np.abs(dirs[:, :1]), np.abs(dirs[:, 1:])))
    np.testing.assert_allclose(table, exact, atol=1e-5)


def test_blue_noise_has_low_power_at_low_frequencies():
    n = 512
    white = [ps.white(n, rng=s) for s in range(3)]
    blue = [ps.sot_blue_noise(n, n_iters=128, n_dirs=32, rng=s) for s in range(3)]
    r, pw = radial_power(periodogram(white, 24))
    _, pb = radial_power(periodogram(blue, 24))
    low = r < 0.5 * np.sqrt(n)
    assert pw[low].mean() > 0.7
    assert pb[low].mean() < 0.02 * pw[low].mean()
    assert min(min_distance(b) for b in blue) * np.sqrt(n) > 0.35


def test_sot_blue_noise_init_replaces_the_starting_draw():
    n = 300
    g = np.random.default_rng(5)
    start = g.random((n, 2))  # the draw sot_blue_noise makes first from rng=5
    np.testing.assert_array_equal(ps.sot_blue_noise(n, n_iters=20, init=start, rng=g),
                                  ps.sot_blue_noise(n, n_iters=20, rng=5))
    # zero iterations return the starting points; init is not modified
    kept = start.copy()
    np.testing.assert_array_equal(ps.sot_blue_noise(n, n_iters=0, init=start, rng=0), start)
    ps.sot_blue_noise(n, n_iters=5, init=start, rng=0)
    np.testing.assert_array_equal(start, kept)
    with pytest.raises(ValueError, match="init must hold n=300 points, got 10"):
        ps.sot_blue_noise(n, init=start[:10])
    with pytest.raises(ValueError, match="init"):
        ps.sot_blue_noise(n, init=np.zeros((n, 3)))


def test_sot_blue_noise_adapts_to_image_density():
    img = np.ones((16, 16))
    img[:, 8:] = 0.25  # left half holds 80 % of the mass
    den = ImageDensity(img, domain=((0.0, 2.0), (0.0, 1.0)))
    x = ps.sot_blue_noise(1000, density=den, n_iters=100, n_dirs=16, n_table=64, rng=0)
    assert x.shape == (1000, 2)
    assert np.all(x[:, 0] >= 0) and np.all(x[:, 0] < 2) and np.all(x[:, 1] >= 0) and np.all(x[:, 1] < 1)
    assert abs(np.mean(x[:, 0] < 1.0) - 0.8) < 0.01


def test_sot_blue_noise_gaussian_density_moments():
    x = ps.sot_blue_noise(800, density=Gaussian((0.4, 0.6), 0.01), n_iters=60, n_dirs=16, n_table=64, rng=1)
    np.testing.assert_allclose(x.mean(0), [0.4, 0.6], atol=3e-3)
    np.testing.assert_allclose(x.var(0), [0.01, 0.01], rtol=0.05)


@pytest.mark.parametrize("kwargs", [dict(), dict(d=3), dict(density=Gaussian((0.4, 0.6), 0.02), n_table=64)])
def test_sot_blue_noise_does_not_depend_on_its_chunks(kwargs):
    """With a progress bar the kernel runs in chunks of iterations; the points are the same as in one call."""
    chunked = ps.sot_blue_noise(300, n_iters=70, n_dirs=8, rng=5, progress=True, **kwargs)
    whole = ps.sot_blue_noise(300, n_iters=70, n_dirs=8, rng=5, progress=False, **kwargs)
    np.testing.assert_array_equal(chunked, whole)
