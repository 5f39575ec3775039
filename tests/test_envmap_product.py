"""CosineProductSampler: env-map luminance × a per-cell clamped cosine for a normal, with an exact pdf."""
import math

import numpy as np
import pytest

from iadb_graphics.envmap import EnvMapDensity
from iadb_graphics.envmap_product import (CosineProductSampler, octahedral_bin, octahedral_bin_normals,
                                          octahedral_bin_radii)
from iadb_graphics.metrics.goodness import chi2_test

H, W = 12, 24
NORMALS = [(0.0, 1.0, 0.0), (0.3, -0.5, 0.8), (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0)]


def _lum():
    rng = np.random.default_rng(3)
    lum = rng.uniform(0.2, 1.0, (H, W))
    lum[0, :] = 3.0
    lum[3, 7] = 200.0  # a small bright sun
    lum[9, 2:5] = 0.0  # a black patch: never sampled
    return lum


def _sampler(**kw):
    return CosineProductSampler(_lum(), **{"phi_offset": 0.1, "coarse_shape": (8, 16), "normal_res": 6,
                                           "epsilon": 0.2, **kw})


def _texel_grid(h, w, phi_offset):
    """Texel-centre directions (h·w, 3) (mid cos θ, mid φ) and the solid angle of each texel (h·w,)."""
    top, bottom = np.cos(np.arange(h) * np.pi / h), np.cos((np.arange(h) + 1) * np.pi / h)
    z = np.broadcast_to((0.5 * (top + bottom))[:, None], (h, w))
    phi = 2 * np.pi * ((np.arange(w) + 0.5) / w + phi_offset)
    s = np.sqrt(1 - z ** 2)
    d = np.stack([np.sin(phi) * s, z, -np.cos(phi) * s], axis=-1).reshape(-1, 3)
    return d, np.repeat((top - bottom) * 2 * np.pi / w, w)


def test_octahedral_bins():
    res = 7
    normals = octahedral_bin_normals(res)
    assert normals.shape == (res * res, 3)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0)
    assert [octahedral_bin(*n, res) for n in normals] == list(range(res * res))
    rng = np.random.default_rng(0)
    for v in rng.normal(size=(500, 3)):
        v = v / np.linalg.norm(v)
        assert normals[octahedral_bin(*(3.0 * v), res)] @ v > math.cos(math.radians(40))  # a nearby bin, any length


@pytest.mark.parametrize("compensation", [0.0, 1.0])
@pytest.mark.parametrize("normal", [None] + NORMALS)
def test_pdf_integrates_to_one_and_is_defensive(normal, compensation):
    env = _sampler(compensation=compensation, compensation_floor=0.3)
    d, area = _texel_grid(H, W, 0.1)
    p = env.pdf(d, normal)  # constant on each texel: the texel sum is the exact integral
    assert np.sum(p * area) == pytest.approx(1.0, rel=1e-12)
    plain = EnvMapDensity(_lum(), method="inverse-cdf", phi_offset=0.1).pdf(d)
    floor = 0.3 if compensation > 0 else 1.0
    assert np.all(p >= 0.2 * floor * plain * (1 - 1e-12))  # never below ε · f · p_L
    assert np.all((p > 0) == (plain > 0))                  # positive exactly where there is radiance
    if normal is None:  # no surface: the plain luminance density, compensated or not
        np.testing.assert_allclose(p, plain, rtol=1e-12)
    np.testing.assert_allclose([env.pdf_one(*v, *(normal or (0.0, 0.0, 0.0))) for v in d[::7]], p[::7], rtol=1e-12)


def test_compensation_moves_samples_to_the_bright_light():
    """Subtracting the mean luminance leaves the dim sky to BSDF sampling: more samples hit the sun."""
    u = np.random.default_rng(5).random((4000, 2))
    sun = np.array(_texel_grid(H, W, 0.1)[0]).reshape(H, W, 3)[3, 7]
    hits = {}
    for c in (0.0, 1.0):
        env = _sampler(compensation=c, compensation_floor=0.1)
        d, p = env.sample(u, NORMALS[0])
        np.testing.assert_allclose(env.pdf(d, NORMALS[0]), p, rtol=1e-12)
        hits[c] = np.mean(d @ sun > math.cos(math.radians(12)))
    assert hits[0.0] < 0.7 and hits[1.0] > hits[0.0] + 0.2


def test_bin_radii_cover_the_bins():
    res = 6
    radii = octahedral_bin_radii(res)
    centres = octahedral_bin_normals(res)
    for v in np.random.default_rng(1).normal(size=(2000, 3)):
        v = v / np.linalg.norm(v)
        k = octahedral_bin(*v, res)
        assert math.acos(min(1.0, float(v @ centres[k]))) <= radii[k] + 1e-9
    assert np.all(radii < np.radians(60)) and np.all(radii > 0)


def _corner(cos_t, phi):
    s = math.sqrt(max(0.0, 1 - cos_t * cos_t))
    return np.array([math.sin(phi) * s, cos_t, -math.cos(phi) * s])


def test_cell_factor_is_the_mass_weighted_dilated_cosine():
    """With one texel per sub-block the factor is ε + (1 − ε) g / Z with
    g = Σ m · max(0, cos(max(0, ∠(n_k, ω) − r_k − r_texel))) / Σ m over the cell."""
    lum, eps = _lum(), 0.3
    env = CosineProductSampler(lum, phi_offset=0.1, coarse_shape=(3, 4), normal_res=3, epsilon=eps, subcells=8,
                               compensation=0.0)
    d, _ = _texel_grid(H, W, 0.1)
    d = d.reshape(H, W, 3)
    cos_edges = np.cos(np.arange(H + 1) * np.pi / H)
    band = cos_edges[:-1] - cos_edges[1:]
    mass = lum * band[:, None]
    radii = octahedral_bin_radii(3)
    rows = np.searchsorted(env.row_edges_, np.arange(H), side="right") - 1  # the coarse cell of each texel
    cols = np.searchsorted(env.col_edges_, np.arange(W), side="right") - 1
    shape = (len(env.row_edges_) - 1, len(env.col_edges_) - 1)
    assert shape == env.cell_factor.shape[1:] and shape[0] <= 3 and shape[1] <= 4
    for k, n in enumerate(octahedral_bin_normals(3)):
        g_mass = np.zeros(shape)
        m = np.zeros(shape)
        for r in range(H):
            for c in range(W):
                corners = [_corner(cos_edges[r + a], 2 * np.pi * ((c + b) / W + 0.1)) for a in (0, 1) for b in (0, 1)]
                r_texel = max(math.acos(min(1.0, float(x @ d[r, c]))) for x in corners)
                angle = max(0.0, math.acos(min(1.0, float(d[r, c] @ n))) - radii[k] - r_texel)
                g_mass[rows[r], cols[c]] += mass[r, c] * max(0.0, math.cos(angle))
                m[rows[r], cols[c]] += mass[r, c]
        z = g_mass.sum() / m.sum()
        np.testing.assert_allclose(env.cell_factor[k], eps + (1 - eps) * (g_mass / m) / z, rtol=1e-9)


def _z_phi(d):
    return np.stack([d[:, 1], np.arctan2(d[:, 0], -d[:, 2]) % (2 * np.pi)], axis=1)


@pytest.mark.parametrize("interpolation", ["constant", "bilinear"])
@pytest.mark.parametrize("normal", [NORMALS[0], NORMALS[1]])
def test_samples_follow_the_pdf_chi2_on_the_sphere(normal, interpolation):
    env = _sampler(interpolation=interpolation)  # default compensation
    u = np.random.default_rng(1).random((20000, 2))
    d, p = env.sample(u, normal)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(env.pdf(d, normal), p, rtol=1e-12)
    np.testing.assert_allclose([env.pdf_one(*v, *normal) for v in d[:200]], p[:200], rtol=1e-12)

    def q(x):  # (cos θ, φ) carries the solid-angle measure
        z, phi = x[:, 0], x[:, 1]
        s = np.sqrt(np.clip(1 - z * z, 0, 1))
        return env.pdf(np.stack([np.sin(phi) * s, z, -np.cos(phi) * s], axis=1), normal)

    bounds = [[-1, 1], [0, 2 * np.pi]]
    assert chi2_test(_z_phi(d), q, bounds=bounds, bins=10).p_value > 1e-3
    # the plain luminance pdf (the normal ignored) is a wrong claim for these samples and fails
    plain = _sampler(interpolation=interpolation, epsilon=1.0)

    def q_plain(x):
        z, phi = x[:, 0], x[:, 1]
        s = np.sqrt(np.clip(1 - z * z, 0, 1))
        return plain.pdf(np.stack([np.sin(phi) * s, z, -np.cos(phi) * s], axis=1))

    assert chi2_test(_z_phi(d), q_plain, bounds=bounds, bins=10).p_value < 1e-6


def test_the_normal_moves_samples_above_the_surface():
    env = _sampler(epsilon=0.1, compensation=0.0)
    u = np.random.default_rng(2).random((4000, 2))
    up = np.mean(env.sample(u, (0.0, 1.0, 0.0))[0][:, 1] > 0)
    down = np.mean(env.sample(u, (0.0, -1.0, 0.0))[0][:, 1] < 0)
    plain_up = np.mean(env.sample(u)[0][:, 1] > 0)
    assert up > plain_up + 0.05 and down > (1 - plain_up) + 0.05
    # a zero or non-finite normal means "no surface": the plain table
    np.testing.assert_array_equal(env.sample(u[:50], (0.0, 0.0, 0.0))[0], env.sample(u[:50])[0])
    np.testing.assert_array_equal(env.sample(u[:50], (np.nan, 0.0, 1.0))[0], env.sample(u[:50])[0])


def test_primary_samples_stay_stratified():
    """u0 picks the rows (θ) and u1 the columns (φ) at every split: with equal texel masses the quadtree is
    balanced and u ∈ [r/H, (r + 1)/H) × [c/W, (c + 1)/W) lands in texel (r, c), so strata of u stay strata."""
    h, w = 8, 16
    band = np.cos(np.arange(h) * np.pi / h) - np.cos((np.arange(h) + 1) * np.pi / h)
    env = CosineProductSampler(np.tile(1.0 / band[:, None], (1, w)), normal_res=1, epsilon=1.0, compensation=0.0)
    u = np.random.default_rng(4).random((2000, 2))
    d, _ = env.sample(u)
    row = np.minimum(h - 1, (np.arccos(np.clip(d[:, 1], -1, 1)) * h / np.pi).astype(int))
    col = ((np.arctan2(d[:, 0], -d[:, 2]) / (2 * np.pi)) % 1.0 * w).astype(int)
    inside = (np.abs(u[:, 0] * h % 1 - 0.5) < 0.49) & (np.abs(u[:, 1] * w % 1 - 0.5) < 0.49)  # off texel edges
    np.testing.assert_array_equal(row[inside], (u[inside, 0] * h).astype(int))
    np.testing.assert_array_equal(col[inside], (u[inside, 1] * w).astype(int))


def test_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        CosineProductSampler(np.ones(5))
    with pytest.raises(ValueError, match="finite"):
        CosineProductSampler(np.full((2, 4), -1.0))
    with pytest.raises(ValueError, match="zero everywhere"):
        CosineProductSampler(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="epsilon"):
        CosineProductSampler(np.ones((2, 4)), epsilon=0.0)
    with pytest.raises(ValueError, match="compensation must"):
        CosineProductSampler(np.ones((2, 4)), compensation=-1.0)
    with pytest.raises(ValueError, match="compensation_floor"):
        CosineProductSampler(np.ones((2, 4)), compensation_floor=0.0)
    with pytest.raises(ValueError, match="normals"):
        _sampler().pdf(np.ones((3, 3)), np.ones((2, 3)))
