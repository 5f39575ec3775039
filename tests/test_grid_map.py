"""GridIADBMap: closed forms (1D quantile map, translations, identity), inverse, log-det, files."""
import numpy as np
import pytest
from scipy import stats

from iadb_graphics import densities as D
from iadb_graphics._kernels.interp import interp
from iadb_graphics.maps.base import NotFittedError
from iadb_graphics.maps.grid import GridIADBMap
from tests.naive import grid as N

SMALL = dict(bins=48, n_steps=16, n_pairs=1 << 15)


def test_1d_equals_quantile_map():
    src = D.Gaussian((0.0,), 1.0)
    tgt = D.GaussianMixture([[-2.0], [1.5]], [0.25, 0.5], [0.4, 0.6])
    m = GridIADBMap(bins=512, n_steps=64, n_pairs=1 << 17).fit(src, tgt, rng=0)
    x = np.linspace(-2.0, 2.0, 101)[:, None]  # central 2.3 %–97.7 % quantiles
    y = m.transform(x)
    # exact quantile map F1^-1(F0(x)) by inverting the mixture CDF on a fine grid
    grid = np.linspace(-6, 6, 200001)
    cdf = 0.4 * stats.norm.cdf(grid, -2, 0.5) + 0.6 * stats.norm.cdf(grid, 1.5, np.sqrt(0.5))
    exact = np.interp(stats.norm.cdf(x[:, 0]), cdf, grid)
    cell = float(m._step[0])
    # monotone, and within a few cells (bin width tied tolerance; K sampling noise included)
    assert np.all(np.diff(y[:, 0]) > 0)
    assert np.max(np.abs(y[:, 0] - exact)) < 8 * cell
    assert np.median(np.abs(y[:, 0] - exact)) < 3 * cell


def test_gaussian_shift_is_translation_and_identity(rng):
    a = D.Gaussian((0.35, 0.4), 0.004)
    b = D.Gaussian((0.6, 0.55), 0.004)
    x = a.sample(500, rng=rng)
    core = np.sum((x - [0.35, 0.4]) ** 2, 1) < (2 * 0.063) ** 2
    m = GridIADBMap(bins=96, n_steps=32, n_pairs=1 << 17).fit(a, b, rng=1)
    cell = float(np.max(m._step))
    err = m.transform(x)[core] - (x[core] + [0.25, 0.15])
    assert np.max(np.abs(err)) < 2.5 * cell
    ident = GridIADBMap(bins=96, n_steps=32, n_pairs=1 << 17).fit(a, a, rng=1)
    assert np.max(np.abs(ident.transform(x)[core] - x[core])) < 2.5 * cell


def test_inverse_roundtrip_and_trajectory(rng):
    src, tgt = D.Uniform(), D.Gaussian((0.5, 0.5), 0.02)
    m = GridIADBMap(**SMALL).fit(src, tgt, rng=2)
    x = src.sample(300, rng=rng)
    y = m.transform(x)
    np.testing.assert_allclose(m.inverse_transform(y), x, atol=1e-7)
    path = m.trajectory(x)
    assert path.shape == (17, 300, 2)
    np.testing.assert_array_equal(path[0], x)
    np.testing.assert_allclose(path[-1], y, atol=1e-12)


def test_log_det_exact_for_discrete_map(rng):
    src, tgt = D.Uniform(), D.GaussianMixture([[0.3, 0.3], [0.7, 0.6]], [0.01, 0.02])
    m = GridIADBMap(**SMALL).fit(src, tgt, rng=3)
    x = src.sample(40, rng=rng) * 0.8 + 0.1
    y, ld = m.transform(x, return_log_det=True)
    # numpy twin of the Heun step x' = x + h/2 (v_t(x) + v_{t+1}(x + h v_t(x))): its Jacobian by the
    # chain rule with the naive interpolant's derivative, log|det| summed over steps
    z, ref = x.copy(), np.zeros(len(x))
    for t in range(m.n_steps):
        h = m._alphas[t + 1] - m._alphas[t]
        v, jac = N.interp_with_jacobian(m._fields[t].astype(float), m._lo, m._step, z)
        v2, jac2 = N.interp_with_jacobian(m._fields[t + 1].astype(float), m._lo, m._step, z + h * v)
        step_jac = np.eye(2) + 0.5 * h * (jac + jac2 @ (np.eye(2) + h * jac))
        ref += np.linalg.slogdet(step_jac)[1]
        z = z + 0.5 * h * (v + v2)
    np.testing.assert_allclose(ld, ref, atol=1e-8)
    np.testing.assert_allclose(y, z, atol=1e-10)
    # central finite differences of the whole map agree (piecewise smooth: median over points)
    eps = 1e-6
    cols = [(m.transform(x + eps * e) - m.transform(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    fd = np.linalg.slogdet(np.stack(cols, axis=2))[1]
    assert np.median(np.abs(fd - ld)) < 1e-4


def test_disjoint_supports_and_far_points_are_finite(rng):
    a = D.Gaussian((0.0, 0.0), 1e-3)
    b = D.Gaussian((10.0, 10.0), 1e-3)
    m = GridIADBMap(**SMALL).fit(a, b, rng=4)
    q = np.concatenate([a.sample(100, rng=rng), rng.uniform(-50, 50, (100, 2))])
    y, ld = m.transform(q, return_log_det=True)
    assert np.all(np.isfinite(y)) and not np.any(np.isnan(ld))
    assert np.all(np.isfinite(m.inverse_transform(y)))
    assert np.all(np.isfinite(m._fields))
    # the blob is carried to the other blob
    np.testing.assert_allclose(y[:100].mean(0), [10.0, 10.0], atol=0.1)


def test_almost_empty_image_is_finite(rng):
    img = np.zeros((32, 32))
    img[5, 20] = 1.0
    img[30, 3] = 1e-6
    m = GridIADBMap(**SMALL).fit(D.Uniform(), D.ImageDensity(img), rng=5)
    y = m.transform(rng.random((200, 2)))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(m._fields))


def test_same_rng_same_map_and_arrays_accepted(rng):
    pts0 = rng.random((2000, 2))
    pts1 = rng.normal(0.5, 0.1, (2000, 2))
    m1 = GridIADBMap(**SMALL).fit(pts0, pts1, rng=7)
    m2 = GridIADBMap(**SMALL).fit(pts0, pts1, rng=7)
    np.testing.assert_array_equal(m1._fields, m2._fields)
    m3 = GridIADBMap(**SMALL).fit(pts0, pts1, rng=8)
    assert not np.array_equal(m1._fields, m3._fields)


def test_ot_coupling_straighter_than_independent(rng):
    src, tgt = D.toy2d("8gaussians"), D.toy2d("moons")
    from iadb_graphics.metrics import optimality_ratio

    x = src.sample(400, rng=rng)
    ind = GridIADBMap(bins=64, n_steps=16, n_pairs=1 << 14).fit(src, tgt, rng=0)
    ot_ = GridIADBMap(bins=64, n_steps=16, n_pairs=1 << 14, coupling="ot", ot_block=128).fit(src, tgt, rng=0)
    assert optimality_ratio(x, ot_.transform(x)) < optimality_ratio(x, ind.transform(x))


def test_3d_runs_and_save_load(tmp_path, rng):
    src = D.Gaussian((0.3, 0.4, 0.5), 0.01)
    tgt = D.Uniform((0.2, 0.2, 0.2), (0.8, 0.8, 0.8))
    m = GridIADBMap(bins=16, n_steps=8, n_pairs=1 << 14).fit(src, tgt, rng=0)
    x = src.sample(50, rng=rng)
    y, ld = m.transform(x, return_log_det=True)
    assert y.shape == (50, 3) and np.all(np.isfinite(ld))
    m.save(tmp_path / "g.npz")
    m2 = GridIADBMap.load(tmp_path / "g.npz")
    np.testing.assert_array_equal(m2.transform(x), y)
    assert m2.d == 3 and m2.bounds.shape == (3, 2) and "bins=16" in repr(m2)


def test_torch_in_torch_out():
    import torch
    m = GridIADBMap(**SMALL).fit(D.Uniform(), D.Gaussian(), rng=0)
    x = torch.rand(10, 2, dtype=torch.float32)
    y = m.transform(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), m.transform(x.double().numpy()), atol=1e-6)


def test_errors(tmp_path):
    with pytest.raises(NotFittedError):
        GridIADBMap().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="coupling"):
        GridIADBMap(coupling="sinkhorn")
    with pytest.raises(TypeError, match="bins"):
        GridIADBMap(bins=2.5)
    m = GridIADBMap(**SMALL).fit(D.Uniform(), D.Gaussian(), rng=0)
    with pytest.raises(ValueError, match="x has shape"):
        m.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="dimension"):
        GridIADBMap().fit(D.Uniform(), D.Gaussian((0.0, 0.0, 0.0), 1.0))
    with pytest.raises(ValueError, match="box"):
        GridIADBMap(box=[[0, 1]]).fit(D.Uniform(), D.Gaussian())
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    from iadb_graphics.io import ModelFileError

    with pytest.raises(ModelFileError):
        GridIADBMap.load(bad)


def test_fields_interpolate_like_velocity():
    m = GridIADBMap(**SMALL).fit(D.Uniform(), D.Gaussian(), rng=0)
    x = np.array([[0.5, 0.5], [5.0, -5.0]])
    np.testing.assert_allclose(m._velocity(0, x), interp(m._fields[0], m._lo, m._step, x))


# ---------------------------------------------------------------- walls: the whole support is reached

def _bright_border(n=32, width=2, background=0.02):
    img = np.full((n, n), background)
    img[:width] = img[-width:] = 1.0
    img[:, :width] = img[:, -width:] = 1.0
    return img


def test_walls_detected_only_for_hard_supports():
    box = np.array([[0.0, 1.0], [0.0, 1.0]])
    rng = np.random.default_rng(0)
    u = rng.random((20000, 2))
    from iadb_graphics.maps.grid import find_walls

    assert find_walls(u, u, box).all()
    g = D.Gaussian((0.5, 0.5), 0.01)
    assert not find_walls(g.sample(20000, rng=1), g.sample(20000, rng=2), g.bounds).any()
    # an image that is black on its right half: the uniform source still makes every face a wall
    img = np.ones((8, 8))
    img[:, 4:] = 0.0
    t = D.ImageDensity(img).sample(20000, rng=3)
    assert find_walls(u, t, box).all()
    assert not find_walls(t, t, box)[0, 1]  # no data near x = 1


def test_bright_border_image_is_reached_up_to_every_edge():
    # regression: the field used to be smoothed with zeros outside the support, so warped
    # samples stopped short of low-density edges and overshot bright ones
    tgt = D.ImageDensity(_bright_border(background=0.1))
    m = GridIADBMap(bins=64, n_steps=32, n_pairs=1 << 16).fit(D.Uniform(), tgt, rng=0)
    assert m.walls_.all()
    np.testing.assert_allclose(m.bounds, [[0, 1], [0, 1]])
    y = m.transform(np.random.default_rng(1).random((1 << 14, 2)))
    assert np.all((y >= 0) & (y <= 1))  # no sample where the target density is zero
    cell = 1 / 32
    for a in range(2):  # samples within one image cell of every edge, along the whole edge
        for lo, hi in ((0, cell), (1 - cell, 1)):
            band = y[(y[:, a] >= lo) & (y[:, a] <= hi)]
            h, _ = np.histogram(band[:, 1 - a], bins=16, range=(0, 1))
            assert np.all(h > 0)
    # the sparse interior is reached as well: every 16^2 cell gets samples
    h, _, _ = np.histogram2d(y[:, 0], y[:, 1], bins=16, range=[[0, 1], [0, 1]])
    assert np.all(h > 0)


@pytest.mark.parametrize("kw", [dict(bins=64, n_steps=32, n_pairs=1 << 16, field="samples"), dict(field="exact")])
def test_low_density_edges_are_reached(kw):
    img = np.full((32, 32), 0.05)
    img[8:24, 8:24] = 1.0  # most mass in the centre: edges get little of it
    m = GridIADBMap(**kw).fit(D.Uniform(), D.ImageDensity(img), rng=0)
    y = m.transform(np.random.default_rng(1).random((1 << 14, 2)))
    assert np.all((y >= 0) & (y <= 1))
    # the band one grid cell wide along each edge holds about what the target puts there
    # (0.05 / 294.4 of the mass per pixel: 0.174 x uniform), not a fraction of it
    width = 1 / 64
    expected = 0.05 * 1024 / 294.4 * width * len(y)
    for a in range(2):
        for band in (y[:, a] < width, y[:, a] > 1 - width):
            assert 0.5 * expected < np.count_nonzero(band) < 2.0 * expected


def test_uniform_to_uniform_is_identity_up_to_the_edges(rng):
    m = GridIADBMap(bins=64, n_steps=32, n_pairs=1 << 17).fit(D.Uniform(), D.Uniform(), rng=0)
    cell = float(np.max(m._step))
    t = rng.random(400)
    z = np.zeros_like(t)
    edges = np.concatenate([np.c_[t, z], np.c_[z, t], np.c_[t, z + 1], np.c_[z + 1, t], rng.random((400, 2))])
    y = m.transform(edges)
    # the faces are invariant (points on an edge slide along it) and the map is near identity
    np.testing.assert_allclose(y[:400, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(y[1200:1600, 0], 1.0, atol=1e-12)
    assert np.max(np.abs(y - edges)) < 4 * cell
    assert np.median(np.abs(y - edges)) < 0.5 * cell


def test_walls_keep_inverse_and_log_det_exact(rng):
    tgt = D.ImageDensity(_bright_border(16, 1, 0.1))
    m = GridIADBMap(bins=48, n_steps=16, n_pairs=1 << 15).fit(D.Uniform(), tgt, rng=0)
    x = np.concatenate([rng.random((200, 2)), rng.random((50, 2)) * [1, 0.01]])  # some near y = 0
    y, ld = m.transform(x, return_log_det=True)
    np.testing.assert_allclose(m.inverse_transform(y), x, atol=1e-7)
    eps = 1e-7
    cols = [(m.transform(x + eps * e) - m.transform(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    fd = np.linalg.slogdet(np.stack(cols, axis=2))[1]
    assert np.median(np.abs(fd - ld)) < 1e-4


def test_user_bounds_larger_than_support_stay_open():
    m = GridIADBMap(**SMALL, box=[[-1, 2], [-1, 2]]).fit(D.Uniform(), D.Gaussian(), rng=0)
    assert not m.walls_.any()
    np.testing.assert_allclose(m.bounds, [[-1, 2], [-1, 2]])


def test_alphas_are_the_trajectory_times_and_the_path_energy_uses_them():
    from iadb_graphics.metrics import path_energy

    m = GridIADBMap(bins=64, n_pairs=1 << 14, n_steps=16).fit(D.Uniform(), D.Uniform(), rng=0)
    a = m.alphas
    assert a.shape == (17,) and a[0] == 0.0 and a[-1] == 1.0 and np.all(np.diff(a) > 0)
    assert m.walls_.all() and np.ptp(np.diff(a)) > 0.01  # walls: finer steps at both ends
    x = np.random.default_rng(1).random((200, 2))
    path = m.trajectory(x)
    np.testing.assert_allclose(path[-1], m.transform(x), atol=1e-12)
    # a straight constant-speed path sampled at these alphas has energy |y − x|²
    y = x + 0.1
    straight = x[None] + a[:, None, None] * (y - x)[None]
    assert path_energy(straight, alphas=a) == pytest.approx(0.02, rel=1e-9)


def test_1d_pushforward_matches_the_target_mass_and_quantiles():
    # exponential -> two separated Gaussians, defaults: Euler steps put 51.6 % of the mass in a
    # mode that holds 49.9 %; the Heun scheme must stay within 0.2 % and 1 % of the range
    rng = np.random.default_rng(0)
    n = 20000
    x0 = rng.exponential(0.15, (n, 1))
    first = rng.random(n) < 0.5
    x1 = np.where(first, rng.normal(0.2, 0.03, n), rng.normal(0.7, 0.08, n))[:, None]
    m = GridIADBMap().fit(x0, x1, rng=1)
    y = m.transform(x0)[:, 0]
    assert abs(np.mean(y < 0.4) - np.mean(x1 < 0.4)) < 0.002
    q = np.linspace(0.005, 0.995, 199)
    grid = np.linspace(-0.5, 1.5, 200001)
    cdf = 0.5 * stats.norm.cdf(grid, 0.2, 0.03) + 0.5 * stats.norm.cdf(grid, 0.7, 0.08)
    err = np.abs(np.quantile(y, q) - np.interp(q, cdf, grid)) / np.ptp(x1)
    assert np.max(err[np.abs(q - 0.5) > 0.02]) < 0.01
    euler = GridIADBMap(method="euler").fit(x0, x1, rng=1).transform(x0)[:, 0]
    assert abs(np.mean(euler < 0.4) - np.mean(x1 < 0.4)) > 0.01  # the first-order scheme does not


def test_euler_log_det_and_inverse_stay_exact(rng):
    src, tgt = D.Uniform(), D.GaussianMixture([[0.3, 0.3], [0.7, 0.6]], [0.01, 0.02])
    m = GridIADBMap(**SMALL, method="euler").fit(src, tgt, rng=3)
    assert m._fields.shape[0] == m.n_steps
    x = src.sample(40, rng=rng) * 0.8 + 0.1
    y, ld = m.transform(x, return_log_det=True)
    eps = 1e-6
    cols = [(m.transform(x + eps * e) - m.transform(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.median(np.abs(np.linalg.slogdet(np.stack(cols, axis=2))[1] - ld)) < 1e-4
    np.testing.assert_allclose(m.inverse_transform(y), x, atol=1e-7)
