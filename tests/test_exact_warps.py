"""The pixel-exact image warps: ContinuousCDFWarp, the Numba kernels against their numpy twins,
and the bad inputs every exact warp must survive (zero rows and columns, one bright pixel, 1×N
images, NaN/inf)."""

import numpy as np
import pytest

from iadb_graphics.densities import Gaussian, ImageDensity
from iadb_graphics.metrics import chi2_test
from iadb_graphics.warps import (DEFAULT_WARP_METHOD, WARP_METHODS, ContinuousCDFWarp, EqualMassKDWarp,
                                 HierarchicalWarp, InverseCDFWarp, make_warp, warp, warped_pdf)
from iadb_graphics.warps.continuous import band_widths
from tests.naive import bands as naive_bands
from tests.naive import hierarchical as naive_hier
from tests.naive import kdtree as naive_kd

UNIT = np.array([[0.0, 1.0], [0.0, 1.0]])
EXACT = (InverseCDFWarp, HierarchicalWarp, ContinuousCDFWarp, EqualMassKDWarp)


def _image(rng, shape=(24, 40)):
    img = rng.random(shape) ** 3
    img[5, :] = 0.0
    img[:, 7] = 0.0
    img[10:14, 20:30] = 0.0
    return img


def test_default_method_is_an_exact_offered_method():
    assert DEFAULT_WARP_METHOD in WARP_METHODS
    dens = ImageDensity(np.arange(1, 17, dtype=float).reshape(4, 4))
    assert isinstance(make_warp(image_density=dens), EXACT)
    assert isinstance(make_warp("continuous-cdf", dens), ContinuousCDFWarp)


def test_band_widths_keep_the_mass_and_chain_across_similar_rows(rng):
    c = rng.random((30, 12)) + 0.5
    c[4, 3] = 0.0
    c /= c.sum(axis=1, keepdims=True)
    bottom, mid, top, lam = band_widths(c)
    np.testing.assert_allclose((bottom + 2 * mid + top) / 4, c, atol=1e-15)
    assert np.all(bottom >= 0) and np.all(mid >= 0) and np.all(top >= 0)
    assert bottom[4, 3] == mid[4, 3] == top[4, 3] == 0.0
    # rows within total variation 1/2 of each other share their boundary: continuity
    tv = 0.5 * np.abs(c[1:] - c[:-1]).sum(axis=1)
    shared = lam >= 1
    assert np.array_equal(shared, tv <= 0.5)
    np.testing.assert_allclose(top[:-1][shared], bottom[1:][shared], atol=1e-15)
    # continuity 0 is pbrt's inverse CDF: vertical boundaries
    b0, m0, t0, _ = band_widths(c, continuity=0.0)
    assert np.array_equal(b0, c) and np.array_equal(t0, c) and np.allclose(m0, c)


def test_band_kernels_match_numpy(rng):
    w = ContinuousCDFWarp().fit(None, ImageDensity(_image(rng)))
    from iadb_graphics._kernels.bands import band_inverse, band_transform

    u = rng.random((3000, 2))
    out = np.empty_like(u)
    pix = np.empty(u.shape, dtype=np.int64)
    args = (w.band_y0_, w.band_dy_, w.bottom_, w.mid_, w.top_)
    band_transform(*args, w.last_col_, u, out, pix)
    out_n, pix_n = naive_bands.band_transform(*args, u)
    assert np.array_equal(pix, pix_n)
    np.testing.assert_allclose(out, out_n, atol=1e-12)
    back = np.empty_like(u)
    band_inverse(*args, pix, out, back)
    np.testing.assert_allclose(back, naive_bands.band_inverse(*args, pix, out), atol=1e-10)
    np.testing.assert_allclose(back, u, atol=1e-10)


def test_hierarchical_kernel_matches_numpy(rng):
    from iadb_graphics._kernels.hierarchical import hierarchical_transform

    hw = HierarchicalWarp().fit(None, ImageDensity(_image(rng, (37, 21))))
    u = rng.random((5000, 2))
    u[:3] = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    cell = np.empty(u.shape, dtype=np.int64)
    frac = np.empty_like(u)
    hierarchical_transform(hw._splits, hw._offsets, hw.levels_, u, cell, frac)
    cell_n, frac_n = naive_hier.hierarchical_transform(hw._mip, u)
    assert np.array_equal(cell, cell_n)
    np.testing.assert_allclose(frac, frac_n, atol=1e-14)


@pytest.mark.parametrize("rule, block", [("longest", 0), ("alternate", 0), ("square", 0), ("square", 3),
                                         ("longest", 2), ("mass-longest", 0), ("mass-square", 1)])
def test_kdtree_kernels_match_numpy(rng, rule, block):
    from iadb_graphics._kernels.kdtree import AXIS_RULES, kdtree_transform

    w = EqualMassKDWarp(depth=9, axis_rule=rule, block_levels=block).fit(None, ImageDensity(_image(rng, (37, 21))))
    axis, split, boxes = naive_kd.build_tree(w._S, 9, AXIS_RULES[rule], block, *w.density_.cell)
    assert np.all(axis[1:1 << block] == 0) and np.all(axis[1 << block:1 << 2 * block] == 1)
    assert np.array_equal(axis[1:], w.axis_[1:])
    np.testing.assert_allclose(split[1:], w.split_[1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(boxes, w.leaf_box_, rtol=0, atol=1e-12)
    u = rng.random((3000, 2))
    u[:3] = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    cell = np.empty(u.shape, dtype=np.int64)
    frac = np.empty_like(u)
    kdtree_transform(w.axis_, w.leaf_box_, w._R, w._row_start, w._row_cdf, w.depth_, u, cell, frac)
    cell_n, frac_n = naive_kd.transform(w.axis_, w.leaf_box_, w._mass, w.depth_, u)
    assert np.array_equal(cell, cell_n)
    np.testing.assert_allclose(frac, frac_n, atol=1e-12)


def _box_mass(mass, box):
    """Mass of a box (pixel units, rows from the bottom) summed pixel by pixel from the overlaps."""
    x0, x1, y0, y1 = box
    h, w = mass.shape
    ox = np.clip(np.minimum(x1, np.arange(1, w + 1)) - np.maximum(x0, np.arange(w)), 0, None)
    oy = np.clip(np.minimum(y1, np.arange(1, h + 1)) - np.maximum(y0, np.arange(h)), 0, None)
    return float(oy @ mass @ ox)


def test_kdtree_mass_quantiles_match_numpy_and_the_box_masses(rng):
    from iadb_graphics._kernels.kdtree import mass_quantile

    img = _image(rng, (19, 26))
    w = EqualMassKDWarp(depth=2).fit(None, ImageDensity(img))
    h, wd = w._mass.shape
    for _ in range(40):
        x0, x1 = np.sort(rng.uniform(0, wd, 2))
        y0, y1 = np.sort(rng.uniform(0, h, 2))
        q = rng.uniform(0.05, 0.95)
        cx = mass_quantile(w._S, 0, x0, x1, y0, y1, q)
        cy = mass_quantile(w._S, 1, y0, y1, x0, x1, q)
        assert cx == pytest.approx(naive_kd.mass_quantile(w._S, 0, np.array([x0]), np.array([x1]), np.array([y0]),
                                                          np.array([y1]), q)[0], abs=1e-12)
        total = _box_mass(w._mass, (x0, x1, y0, y1))
        if total > 1e-12:
            assert _box_mass(w._mass, (x0, cx, y0, y1)) == pytest.approx(q * total, rel=1e-9)
            assert _box_mass(w._mass, (x0, x1, y0, cy)) == pytest.approx(q * total, rel=1e-9)


@pytest.mark.parametrize("rule, block", [("longest", 0), ("alternate", 0), ("square", 0), ("square", 3),
                                         ("mass-square", 0)])
def test_kdtree_leaves_have_equal_mass_and_sobol_fills_each_once(rng, rule, block):
    from iadb_graphics import pointsets

    img = _image(rng, (24, 40))
    dens = ImageDensity(img)
    w = EqualMassKDWarp(depth=10, axis_rule=rule, block_levels=block).fit(None, dens)
    masses = np.array([_box_mass(w._mass, b) for b in w.leaf_box_])
    np.testing.assert_allclose(masses, 2.0 ** -10, rtol=1e-9)
    # the boxes tile the image: their areas add up to the domain's
    areas = (w.leaf_box_[:, 1] - w.leaf_box_[:, 0]) * (w.leaf_box_[:, 3] - w.leaf_box_[:, 2])
    np.testing.assert_allclose(areas.sum(), 24 * 40, rtol=1e-12)
    # a (0, m, 2)-net puts one point in each of the 2^m nodes of depth m
    y = w.transform(pointsets.sobol(256, rng=rng))
    g = y / dens.cell
    node = np.ones(len(y), dtype=np.int64)
    for _ in range(8):
        c = w.split_[node]
        node = 2 * node + np.where(w.axis_[node] == 0, g[:, 0] >= c, g[:, 1] >= c)
    assert len(np.unique(node)) == 256


@pytest.mark.parametrize("shape", [(24, 40), (33, 17)])
@pytest.mark.parametrize("rule, block", [("longest", 0), ("alternate", 0), ("square", 0), ("square", 4)])
def test_kdtree_warp_is_exact(rng, shape, rule, block):
    dens = ImageDensity(_image(rng, shape))
    w = EqualMassKDWarp(axis_rule=rule, block_levels=block).fit(None, dens)
    u = rng.random((40000, 2))
    y, pdf = warp(u, w)
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-12)
    assert np.all(dens.pdf(y) > 0)
    np.testing.assert_allclose(w.inverse_transform(y), u, atol=1e-9)
    # counts on the pixel grid follow the pixel masses (pixels expecting < 5 points pooled into one bin)
    counts, _, _ = np.histogram2d(y[:, 1], y[:, 0], bins=list(shape), range=UNIT[::-1])
    expected = dens.mass[::-1] * len(u)
    assert np.all(counts[expected <= 0] == 0)
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    from scipy import stats

    assert stats.chi2.sf(np.sum((obs - exp) ** 2 / exp), len(obs) - 1) > 1e-3
    assert chi2_test(y, w.pdf, bounds=UNIT, bins=16).p_value > 1e-3


def test_kdtree_bad_arguments_and_preimages():
    with pytest.raises(ValueError, match="axis_rule"):
        EqualMassKDWarp(axis_rule="diagonal")
    with pytest.raises(ValueError, match="depth"):
        EqualMassKDWarp(depth=0)
    with pytest.raises(ValueError, match="depth"):
        EqualMassKDWarp(depth=40)
    with pytest.raises(TypeError, match="depth"):
        EqualMassKDWarp(depth=2.5)
    with pytest.raises(ValueError, match="block_levels=4 needs depth >= 8; got depth=7"):
        EqualMassKDWarp(depth=7, block_levels=4)
    with pytest.raises(ValueError, match="block_levels"):
        EqualMassKDWarp(block_levels=-1)


def test_unit_square_checks_count_points_outside_and_accept_the_edges(rng):
    from iadb_graphics.warps import warp

    w = EqualMassKDWarp().fit(None, ImageDensity(_image(rng, (8, 8))))
    u = rng.random((1000, 2))
    u[:4] = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]  # the closed square's corners are inside
    y, pdf = warp(u, w)
    assert y.shape == (1000, 2) and np.all(np.isfinite(pdf)) and np.all(pdf > 0)
    bad = u.copy()
    bad[7, 0] = -1e-12
    bad[500, 1] = 1.0 + 1e-12
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\]\^2: 2 point\(s\) outside"):
        w.transform(bad)
    with pytest.raises(ValueError, match=r"points has 2 point\(s\) outside"):
        warp(bad, w)
    y0, pdf0 = warp(np.empty((0, 2)), w)
    assert y0.shape == (0, 2) and pdf0.shape == (0,)


@pytest.mark.parametrize("cls", [HierarchicalWarp, EqualMassKDWarp])
def test_inverse_refuses_points_without_preimage(cls):
    img = np.ones((4, 4))
    img[1, 2] = 0.0  # the pixel x in [2/4, 3/4], y in [2/4, 3/4]
    w = cls().fit(None, ImageDensity(img))
    for y in ([[2.5 / 4, 2.5 / 4]], [[1.5, 0.5]]):
        with pytest.raises(ValueError, match="1 point.*outside the image domain or in zero-mass pixels"):
            w.inverse_transform(np.array(y))
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        w.inverse_transform(np.array([[np.nan, 0.5]]))
    np.testing.assert_allclose(w.transform(w.inverse_transform(np.array([[0.1, 0.9]]))), [[0.1, 0.9]], atol=1e-12)


@pytest.mark.parametrize("shape", [(24, 40), (33, 17)])
def test_continuous_cdf_warp_is_exact(rng, shape):
    dens = ImageDensity(_image(rng, shape))
    cw = ContinuousCDFWarp().fit(None, dens)
    u = rng.random((40000, 2))
    y, pdf = warp(u, cw)
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-12)  # the pdf is the image density itself
    assert np.all(dens.pdf(y) > 0)  # never in a zero-mass pixel
    np.testing.assert_allclose(cw.inverse_transform(y), u, atol=1e-9)
    np.testing.assert_allclose(warped_pdf(cw, y), pdf)
    # histogram on the pixel grid: counts follow the pixel masses
    counts, _, _ = np.histogram2d(y[:, 1], y[:, 0], bins=list(shape), range=UNIT[::-1])
    expected = dens.mass[::-1] * len(u)
    keep = expected > 0
    assert np.all(counts[~keep] == 0)
    stat = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    from scipy import stats

    assert stats.chi2.sf(stat, keep.sum() - 1) > 0.001
    assert chi2_test(y, cw.pdf, bounds=UNIT, bins=16).p_value > 0.01


def test_continuous_cdf_warp_is_continuous_where_rows_are_similar(rng):
    # a smooth image: every band boundary is shared, so nearby u give nearby y across rows
    yy, xx = np.mgrid[0:32, 0:32] / 32
    dens = ImageDensity(1 + xx * yy + 0.5 * np.sin(5 * xx))
    cw, icdf = ContinuousCDFWarp().fit(None, dens), InverseCDFWarp().fit(None, dens)
    assert np.all(cw.lam_ >= 1)
    # points straddling every band boundary, 1e-9 apart in u_y
    ys = np.repeat(cw.band_y0_[1:], 50)
    xs = np.tile(np.linspace(0.01, 0.99, 50), len(cw.band_y0_) - 1)
    lo = np.stack([xs, ys - 1e-9], axis=1)
    hi = np.stack([xs, ys + 1e-9], axis=1)
    jump = np.abs(cw.transform(hi) - cw.transform(lo)).max()
    jump_icdf = np.abs(icdf.transform(hi) - icdf.transform(lo)).max()
    assert jump < 1e-6 < jump_icdf


@pytest.mark.parametrize("cls", EXACT)
def test_single_bright_pixel_keeps_the_pdf_exact(cls, rng):
    img = np.zeros((16, 16))
    img[11, 4] = 1.0
    dens = ImageDensity(img)
    y, pdf = warp(rng.random((2000, 2)), cls().fit(None, dens))
    assert np.all((y[:, 0] >= 4 / 16) & (y[:, 0] <= 5 / 16) & (y[:, 1] >= 4 / 16) & (y[:, 1] <= 5 / 16))
    np.testing.assert_allclose(pdf, 256.0)
    # one dominant pixel over a faint background: both parts exact
    img[:] = 1e-6
    img[11, 4] = 1.0
    dens = ImageDensity(img)
    y, pdf = warp(rng.random((20000, 2)), cls().fit(None, dens))
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-9)
    assert np.all(np.isfinite(pdf))


@pytest.mark.parametrize("cls", EXACT)
@pytest.mark.parametrize("shape", [(1, 9), (9, 1), (1, 1)])
def test_one_row_or_column_images(cls, shape, rng):
    img = np.arange(1, shape[0] * shape[1] + 1, dtype=float).reshape(shape)
    dens = ImageDensity(img)
    w = cls().fit(None, dens)
    u = rng.random((20000, 2))
    y, pdf = warp(u, w)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(pdf))
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-9)
    np.testing.assert_allclose(w.inverse_transform(y), u, atol=1e-9)
    assert chi2_test(y, dens.pdf, bounds=UNIT, bins=8).p_value > 0.01


@pytest.mark.parametrize("cls", EXACT)
def test_empty_rows_and_columns_are_never_sampled(cls, rng):
    img = rng.random((20, 20)) + 0.1
    img[[0, 7, 19], :] = 0.0
    img[:, [0, 3, 19]] = 0.0
    dens = ImageDensity(img)
    u = np.concatenate([rng.random((20000, 2)), [[0, 0], [1, 1], [0, 1], [1, 0]]])
    y, pdf = warp(u, cls().fit(None, dens))
    assert np.all(dens.pdf(y) > 0) and np.all(np.isfinite(pdf))
    np.testing.assert_allclose(pdf, dens.pdf(y), rtol=1e-9)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_pixels_are_refused(bad):
    img = np.ones((4, 4))
    img[2, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        make_warp("continuous-cdf", ImageDensity(img))


@pytest.mark.parametrize("cls", EXACT)
def test_bad_points_are_refused(cls):
    w = cls().fit(None, ImageDensity(np.ones((4, 4))))
    for u in ([[0.5, np.nan]], [[1.5, 0.2]], [[-0.1, 0.2]]):
        with pytest.raises(ValueError, match="u"):
            w.transform(np.array(u))


def test_continuous_inverse_refuses_zero_mass_pixels():
    img = np.ones((4, 4))
    img[1, 2] = 0.0
    w = ContinuousCDFWarp().fit(None, ImageDensity(img))
    with pytest.raises(ValueError, match="zero-mass"):
        w.inverse_transform(np.array([[2.5 / 4, 2.5 / 4]]))
    with pytest.raises(ValueError, match="outside"):
        w.inverse_transform(np.array([[1.5, 0.5]]))
    with pytest.raises(TypeError, match="ImageDensity"):
        ContinuousCDFWarp().fit(None, None)
    with pytest.raises(ValueError, match="source"):
        ContinuousCDFWarp().fit(Gaussian([0.5, 0.5], 0.1), ImageDensity(img))
    with pytest.raises(ValueError, match="continuity"):
        ContinuousCDFWarp(continuity=2.0).fit(None, ImageDensity(img))
