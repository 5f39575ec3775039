"""Our pbrt-style InverseCDFWarp against Mitsuba 3's 2D distributions (optional: needs mitsuba)."""

import numpy as np
import pytest

from iadb_graphics.densities import ImageDensity
from iadb_graphics.metrics import chi2_test
from iadb_graphics.warps import InverseCDFWarp, warp

pytest.importorskip("mitsuba")

from iadb_graphics.warps.mitsuba import MITSUBA_KINDS, MitsubaWarp, vertex_values  # noqa: E402

UNIT = np.array([[0.0, 1.0], [0.0, 1.0]])


@pytest.fixture
def image(rng):
    img = rng.random((6, 9)) + 0.05
    img[0, :] *= 6.0  # a bright top row: the orientation matters
    img[:, 2] = 0.0
    return img


def test_vertex_values_average_the_adjacent_pixels():
    v = vertex_values(np.array([[1.0, 3.0], [5.0, 7.0]]))
    assert v.shape == (3, 3)
    assert v[1, 1] == 4.0 and v[0, 0] == 1.0 and v[0, 1] == 2.0 and v[2, 2] == 7.0


def test_same_marginals_as_our_inverse_cdf(image, rng):
    mw = MitsubaWarp(kind="marginal-discrete").fit(None, ImageDensity(image))
    ours = InverseCDFWarp().fit(None, ImageDensity(mw.patch_mass()))
    u = rng.random((4000, 2))
    y_m, y_o = mw.transform(u), ours.transform(u)
    h, w = image.shape
    # the same discrete marginal (rows from y = 0) and conditional pick the same pixel,
    # except within float32 rounding of a CDF step
    same = np.all(np.floor(y_m * [w, h]) == np.floor(y_o * [w, h]), axis=1)
    assert same.mean() > 0.995
    # the row masses seen through u_y alone agree too (rows counted from the bottom)
    np.testing.assert_allclose(ours.row_mass_, mw.patch_mass()[::-1].sum(axis=1), rtol=1e-12)


@pytest.mark.parametrize("kind", list(MITSUBA_KINDS))
def test_mitsuba_pdfs_are_consistent_with_the_image(kind, image, rng):
    dens = ImageDensity(image)
    mw = MitsubaWarp(kind=kind).fit(None, dens)
    u = rng.random((20000, 2))
    y, pdf = warp(u, mw)
    # the pdf reported with each sample is Mitsuba's eval at that sample
    np.testing.assert_allclose(pdf[:500], mw.pdf(y[:500]), rtol=1e-4)
    # the pdf averaged over a pixel is the pixel's patch mass, which follows the image
    h, w = image.shape
    g = (np.stack(np.meshgrid(np.arange(8), np.arange(8)), -1).reshape(-1, 2) + 0.5) / 8
    avg = np.array([[mw.pdf((g + [c, h - 1 - r]) / [w, h]).mean() / (w * h) for c in range(w)] for r in range(h)])
    np.testing.assert_allclose(avg, mw.patch_mass(), atol=2e-3 * avg.max())
    # and its samples follow the pdf it claims
    assert chi2_test(y, mw.pdf, bounds=UNIT, bins=12, max_evals=1 << 17).p_value > 0.01
    if kind == "marginal-discrete":
        np.testing.assert_allclose(mw.inverse_transform(y[:200]), u[:200], atol=1e-3)


def test_mitsuba_warp_input_errors(image):
    with pytest.raises(ValueError, match="kind"):
        MitsubaWarp(kind="nope")
    with pytest.raises(TypeError, match="ImageDensity"):
        MitsubaWarp().fit(None, None)
    with pytest.raises(ValueError, match="unit-square"):
        MitsubaWarp().fit(None, ImageDensity(image, domain=((0, 2), (0, 1))))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MitsubaWarp().fit(None, ImageDensity(image)).transform(np.array([[0.5, 1.5]]))
