"""Optimal-transport baselines and the inverse-CDF warp."""
import numpy as np
import ot
import pytest
import torch

from iadb_graphics.densities import Gaussian, ImageDensity, Uniform, toy2d
from iadb_graphics.maps.base import NotFittedError
from iadb_graphics.metrics import chi2_test, sliced_w2, w2
from iadb_graphics.transport import EMDMap, LinearGaussianMap, QuantileMap, SinkhornMap, SlicedOTMap
from iadb_graphics.warps import InverseCDFWarp


# ----------------------------------------------------------------------------- EMD

def test_emd_map_on_permutation_equals_exact_assignment(rng):
    x = rng.random((60, 2))
    perm = rng.permutation(60)
    y = x[perm] + 0.01 * rng.standard_normal((60, 2))  # a shuffled, slightly moved copy
    m = EMDMap().fit(x, y)
    plan = ot.emd(np.full(60, 1 / 60), np.full(60, 1 / 60), ot.dist(x, y))
    expected = y[np.argmax(plan, axis=1)]
    np.testing.assert_allclose(m.transform(x), expected, atol=1e-12)
    np.testing.assert_allclose(m.inverse_transform(expected), x, atol=1e-12)
    # the small perturbation keeps the identity pairing optimal: y[j] is matched to x[perm[j]]
    np.testing.assert_allclose(m.transform(x[perm]), y, atol=1e-12)


def test_emd_map_out_of_sample_rule(rng):
    x = rng.random((200, 2))
    y = x + np.array([0.3, -0.1])  # a translation: every displacement is the same
    m = EMDMap(n_neighbors=4).fit(x, y)
    q = rng.random((50, 2))
    np.testing.assert_allclose(m.transform(q), q + np.array([0.3, -0.1]), atol=1e-12)
    m1 = EMDMap(n_neighbors=1).fit(x, y)  # POT's nearest-neighbour rule
    np.testing.assert_allclose(m1.inverse_transform(q), q - np.array([0.3, -0.1]), atol=1e-12)


# ----------------------------------------------------------------------------- Sinkhorn

def test_sinkhorn_map_is_barycentric_projection_on_fitted_points(rng):
    x = rng.random((150, 2))
    y = 0.5 * rng.standard_normal((120, 2)) + 2.0
    m = SinkhornMap(reg=0.05, tol=1e-10, max_iter=20000).fit(x, y)
    zs, zt = m.source_, m.target_
    cost = ot.dist(zs, zt)
    plan = np.exp(m.log_u_[:, None] + m.log_v_[None, :] - cost / m.reg)
    np.testing.assert_allclose(plan.sum(1), 1 / 150, rtol=1e-6)
    bary = (plan @ y) / plan.sum(1, keepdims=True)
    np.testing.assert_allclose(m.transform(x), bary, atol=1e-10)
    # the continuous map moves new points into the target's region
    out = m.transform(rng.random((100, 2)))
    assert np.all(np.abs(out.mean(0) - y.mean(0)) < 0.2)


def test_sinkhorn_log_domain_for_small_reg(rng):
    x = rng.random((80, 2))
    y = rng.random((80, 2)) + 1.0
    m = SinkhornMap(reg=4e-3, max_iter=20000).fit(x, y)
    assert m.method_ == "sinkhorn_log"
    assert np.all(np.isfinite(m.transform(x)))
    # small reg → close to the exact assignment
    exact = EMDMap().fit(x, y).transform(x)
    assert np.mean(np.sum((m.transform(x) - exact) ** 2, 1)) < 1e-2


# ----------------------------------------------------------------------------- sliced

def test_sliced_map_reduces_sliced_w2_and_inverts(rng):
    src, tgt = Uniform(), toy2d("moons")
    m = SlicedOTMap(n_iters=20).fit(src, tgt, rng=1)
    x = src.sample(3000, rng=2)
    y1 = tgt.sample(3000, rng=3)
    before = sliced_w2(x, y1, rng=0)
    after = sliced_w2(m.transform(x), y1, rng=0)
    floor = sliced_w2(tgt.sample(3000, rng=4), y1, rng=0)
    assert after < 0.25 * before
    assert after < 2.0 * floor
    np.testing.assert_allclose(m.inverse_transform(m.transform(x)), x, atol=1e-8)


def test_sliced_map_3d_and_many_directions(rng):
    x = rng.random((2000, 3))
    y = rng.standard_normal((2000, 3)) * 0.1 + 0.5
    m = SlicedOTMap(n_iters=8, n_dirs=5).fit(x, y, rng=0)
    assert len(m.rotations_) == 16 and m.rotations_[1].shape == (3, 2)
    out = m.transform(x)
    assert sliced_w2(out, y, rng=0) < 0.3 * sliced_w2(x, y, rng=0)
    np.testing.assert_allclose(m.inverse_transform(out), x, atol=1e-8)


# ----------------------------------------------------------------------------- quantile

def test_quantile_map_equals_emd_1d(rng):
    x = rng.standard_normal(300)
    y = rng.gamma(2.0, size=300)
    m = QuantileMap().fit(x, y)
    plan = ot.emd_1d(x, y)
    expected = (plan @ y) * 300
    np.testing.assert_allclose(m.transform(x[:, None])[:, 0], expected, atol=1e-9)
    np.testing.assert_allclose(m.inverse_transform(m.transform(x[:, None])), x[:, None], atol=1e-9)


def test_quantile_map_log_det_and_round_trip(rng):
    x = rng.random((500, 2))
    y = rng.standard_normal((400, 2))
    m = QuantileMap().fit(x, y)
    q = rng.random((100, 2)) * 1.2 - 0.1  # some points outside the fitted range
    out, log_det = m.transform(q, return_log_det=True)
    np.testing.assert_allclose(m.inverse_transform(out), q, atol=1e-9)
    h = 1e-7  # per-axis finite differences
    fd = sum(np.log((m.transform(q + h * e) - m.transform(q - h * e))[:, k] / (2 * h))
             for k, e in enumerate(np.eye(2)))
    ok = np.isfinite(fd)
    np.testing.assert_allclose(log_det[ok], fd[ok], atol=1e-4)


# ----------------------------------------------------------------------------- Gaussian

def test_linear_gaussian_map_exact(rng):
    g0 = Gaussian([0.0, 1.0, 2.0], [[1.0, 0.3, 0.1], [0.3, 0.5, 0.0], [0.1, 0.0, 0.2]])
    g1 = Gaussian([1.0, -1.0, 0.0], [[0.2, -0.1, 0.0], [-0.1, 2.0, 0.5], [0.0, 0.5, 1.0]])
    m = LinearGaussianMap().fit(g0, g1)
    a = m.A_
    np.testing.assert_allclose(a, a.T, atol=1e-12)
    assert np.linalg.eigvalsh(a).min() > 0
    np.testing.assert_allclose(a @ g0.cov @ a, g1.cov, atol=1e-10)
    x = g0.sample(200_000, rng=rng)
    y, log_det = m.transform(x, return_log_det=True)
    np.testing.assert_allclose(y.mean(0), g1.mean, atol=0.02)
    np.testing.assert_allclose(np.cov(y, rowvar=False), g1.cov, atol=0.03)
    np.testing.assert_allclose(log_det, np.log(np.linalg.det(a)))
    # change of variables: p1(T(x)) |det A| = p0(x)
    np.testing.assert_allclose(g1.log_pdf(y[:10]) + log_det[:10], g0.log_pdf(x[:10]), atol=1e-10)
    back, inv_ld = m.inverse_transform(y[:1000], return_log_det=True)
    np.testing.assert_allclose(back, x[:1000], atol=1e-12)
    np.testing.assert_allclose(inv_ld, -log_det[:1000])


def test_linear_gaussian_map_from_samples_is_optimal(rng):
    x = rng.standard_normal((2000, 2)) @ np.array([[1.0, 0.5], [0.0, 0.3]])
    y = rng.standard_normal((2000, 2)) @ np.array([[0.2, 0.0], [0.4, 1.0]]) + 3
    m = LinearGaussianMap().fit(x, y)
    np.testing.assert_allclose(m.A_ @ np.cov(x, rowvar=False) @ m.A_, np.cov(y, rowvar=False), atol=1e-10)


# ----------------------------------------------------------------------------- inverse-CDF warp

def _image_density(rng):
    img = rng.random((12, 9)) ** 3
    img[3, :] = 0.0  # an empty row
    img[:, 5] = 0.0  # an empty column
    img[0, 0] = 2.0  # a bright pixel at the top left (highest y, lowest x)
    return ImageDensity(img / img.max(), domain=((-1.0, 2.0), (0.5, 1.5)))


def test_inverse_cdf_warp_chi2_and_pdf(rng):
    dens = _image_density(rng)
    warp = InverseCDFWarp().fit(None, dens)
    x = warp.transform(rng.random((60_000, 2)))
    res = chi2_test(x, warp.pdf, bounds=dens.bounds, bins=18)
    assert res.p_value > 0.01
    pts = dens.sample(1000, rng=rng)
    np.testing.assert_array_equal(warp.pdf(pts), dens.pdf(pts))


def test_inverse_cdf_warp_orientation(rng):
    img = np.zeros((4, 4))
    img[0, 0] = 1.0  # top-left pixel only
    warp = InverseCDFWarp().fit(None, ImageDensity(img))
    x = warp.transform(rng.random((100, 2)))
    assert np.all(x[:, 0] <= 0.25) and np.all(x[:, 1] >= 0.75)


def test_inverse_cdf_warp_round_trip_and_log_det(rng):
    dens = _image_density(rng)
    warp = InverseCDFWarp().fit(None, dens)
    u = rng.random((20_000, 2))
    x, log_det = warp.transform(u, return_log_det=True)
    np.testing.assert_allclose(warp.inverse_transform(x), u, atol=1e-12)
    np.testing.assert_allclose(log_det, -np.log(warp.pdf(x)), rtol=1e-12)
    assert warp.fit(None, dens) is warp and warp.d == 2
    ut = torch.as_tensor(u[:10], dtype=torch.float32)
    assert isinstance(warp.transform(ut), torch.Tensor) and warp.transform(ut).dtype == torch.float32


# ----------------------------------------------------------------------------- protocol

MAPS = [lambda: EMDMap(n_samples=300), lambda: SinkhornMap(n_samples=300), lambda: SlicedOTMap(n_iters=5, n_samples=300),
        lambda: QuantileMap(n_samples=300), lambda: LinearGaussianMap(n_samples=300)]


@pytest.mark.parametrize("make", MAPS)
def test_protocol_same_rng_torch_and_errors(make, rng):
    src, tgt = Uniform(), toy2d("8gaussians")
    a = make().fit(src, tgt, rng=7)
    b = make().fit(src, tgt, rng=7)
    x = rng.random((50, 2))
    x_copy = x.copy()
    ya = a.transform(x)
    np.testing.assert_array_equal(ya, b.transform(x))
    np.testing.assert_array_equal(x, x_copy)  # caller's array untouched
    assert ya.dtype == np.float64 and ya.shape == (50, 2)
    assert a.d == 2 and a.bounds.shape == (2, 2)
    yt = a.transform(torch.as_tensor(x, dtype=torch.float32))
    assert isinstance(yt, torch.Tensor) and yt.dtype == torch.float32
    np.testing.assert_allclose(yt.numpy(), a.transform(x.astype(np.float32)), rtol=1e-5, atol=1e-6)
    assert isinstance(a.inverse_transform(x), np.ndarray)
    with pytest.raises(ValueError, match="x has shape"):
        a.transform(rng.random((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        a.transform(np.full((2, 2), np.nan))
    with pytest.raises(NotFittedError):
        make().transform(x)
    with pytest.raises(ValueError, match="dimension"):
        make().fit(rng.random((20, 2)), rng.random((20, 3)))
    with pytest.raises(TypeError, match="source"):
        make().fit("moons", tgt)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="reg"):
        SinkhornMap(reg=0.0)
    with pytest.raises(ValueError, match="n_iters"):
        SlicedOTMap(n_iters=0)
    with pytest.raises(TypeError, match="n_neighbors"):
        EMDMap(n_neighbors=1.5)
    with pytest.raises(TypeError, match="ImageDensity"):
        InverseCDFWarp().fit(None, None)
    with pytest.raises(ValueError, match="singular"):
        LinearGaussianMap().fit(np.zeros((10, 2)) + np.arange(10)[:, None], np.random.default_rng(0).random((10, 2)))
    warp = InverseCDFWarp().fit(None, ImageDensity(np.ones((4, 4))))
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\]"):
        warp.transform(np.array([[0.5, 1.5]]))
    with pytest.raises(ValueError, match="outside the image domain"):
        warp.inverse_transform(np.array([[0.5, -0.5]]))


def test_emd_map_w2_quality():
    """In-sample EMD is exact: pushed points equal the target set, so W2 = 0."""
    src, tgt = Uniform(), toy2d("moons")
    m = EMDMap(n_samples=500).fit(src, tgt, rng=0)
    assert w2(m.transform(m.source_), m.target_) < 1e-6


def test_inverse_cdf_warp_corners_and_unit_edge(rng):
    dens = _image_density(rng)
    warp = InverseCDFWarp().fit(None, dens)
    u = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1 - 1e-16, 0.5]])
    x, log_det = warp.transform(u, return_log_det=True)
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(log_det))
    assert np.all((x >= dens.domain[:, 0]) & (x <= dens.domain[:, 1]))
    np.testing.assert_allclose(warp.inverse_transform(x[[0, 4]]), u[[0, 4]], atol=1e-12)
