"""chi2_test and cell_integrals: exact cell masses of closed-form pdfs, and the test's verdicts."""
import numpy as np
import pytest
from scipy import special

from iadb_graphics.densities import Gaussian, ImageDensity
from iadb_graphics.metrics import chi2_test
from iadb_graphics.metrics.goodness import cell_integrals


# ----------------------------------------------------------------------------- closed forms

def _gauss_pdf(mean, sigma):
    mean, sigma = np.asarray(mean, float), np.asarray(sigma, float)
    norm = np.prod(sigma * np.sqrt(2 * np.pi))
    return lambda x: np.exp(-0.5 * np.sum(((x - mean) / sigma) ** 2, axis=1)) / norm


def _gauss_cells(mean, sigma, bounds, bins):
    """Exact cell masses of a diagonal Gaussian: outer product of erf differences."""
    out = np.ones(())
    for m, s, (lo, hi) in zip(mean, sigma, bounds):
        e = np.linspace(lo, hi, bins + 1)
        out = np.multiply.outer(out, 0.5 * np.diff(special.erf((e - m) / (s * np.sqrt(2)))))
    return out


def _piecewise(values, bounds):
    """pdf constant on a regular grid of pieces ``values`` (shape per axis) over ``bounds``."""
    values, bounds = np.asarray(values, float), np.asarray(bounds, float)
    vol = np.prod((bounds[:, 1] - bounds[:, 0]) / np.array(values.shape))
    dens = values / (values.sum() * vol)

    def pdf(x):
        idx = [np.clip(((x[:, k] - lo) / (hi - lo) * n).astype(int), 0, n - 1)
               for k, ((lo, hi), n) in enumerate(zip(bounds, values.shape))]
        inside = np.all((x >= bounds[:, 0]) & (x <= bounds[:, 1]), axis=1)
        return np.where(inside, dens[tuple(idx)], 0.0)
    return pdf, dens


def _overlap(edges_a, edges_b):
    lo = np.maximum(edges_a[:-1, None], edges_b[None, :-1])
    hi = np.minimum(edges_a[1:, None], edges_b[None, 1:])
    return np.clip(hi - lo, 0, None)


def _piecewise_cells(dens, bounds, bins):
    """Exact cell masses: per-axis overlap lengths of cells and pieces, contracted with the density."""
    out = dens
    for k, (lo, hi) in enumerate(bounds):
        ov = _overlap(np.linspace(lo, hi, bins + 1), np.linspace(lo, hi, dens.shape[k] + 1))  # (bins, pieces)
        out = np.moveaxis(np.tensordot(out, ov, axes=([k], [1])), -1, k)
    return out


@pytest.mark.parametrize("d,bins", [(1, 16), (2, 12), (3, 5)])
def test_gaussian_cell_integrals_are_exact(d, bins):
    mean, sigma = [0.43, 0.61, 0.5][:d], [0.07, 0.11, 0.2][:d]
    bounds = [[0, 1]] * d
    got = cell_integrals(_gauss_pdf(mean, sigma), bounds, bins)
    want = _gauss_cells(mean, sigma, bounds, bins)
    assert got.shape == (bins,) * d
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * want.mean())
    np.testing.assert_allclose(got.sum(), want.sum(), rtol=1e-8)


def test_peaked_gaussian_is_integrated_accurately():
    # sigma = a fifth of a cell: the old 16-point midpoint rule per cell was off by ~1e-3 here
    mean, sigma = [0.5031, 0.4987], [0.004, 0.006]
    got, err = cell_integrals(_gauss_pdf(mean, sigma), [[0, 1], [0, 1]], 50, return_error=True)
    want = _gauss_cells(mean, sigma, [[0, 1], [0, 1]], 50)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-10)
    assert np.all(err >= 0)


@pytest.mark.parametrize("d,pieces,bins,tol", [(1, (13,), 20, 2e-4), (2, (11, 7), 16, 2e-4), (3, (5, 3, 7), 6, 2e-3)])
def test_piecewise_constant_with_zero_region_is_exact(d, pieces, bins, tol):
    # tol: error / mean cell mass (in 3D the edges are planes: the evaluation budget limits the depth)
    rng = np.random.default_rng(d)
    values = rng.random(pieces) * (rng.random(pieces) < 0.6)  # hard zeros, edges off the cell grid
    values.flat[0] = 1.0
    bounds = np.array([[-0.3, 0.9], [0.1, 1.4], [2.0, 2.5]][:d])
    pdf, dens = _piecewise(values, bounds)
    got = cell_integrals(pdf, bounds, bins)
    want = _piecewise_cells(dens, bounds, bins)
    np.testing.assert_allclose(got, want, atol=tol * want.mean())
    assert np.all(got[want == 0] == 0)  # no mass invented in zero cells
    assert np.all(got[want > 1e-3 * want.mean()] > 0)
    np.testing.assert_allclose(got.sum(), 1.0, rtol=tol)


def test_binary_mask_image_cells_are_exact():
    mask = (np.random.default_rng(5).random((37, 53)) < 0.5).astype(float)
    dens = ImageDensity(mask)
    # exact: overlaps of the cells with the pixels (row 0 is the top: flip to ascending y)
    want = _piecewise_cells(dens.density_grid()[::-1].T, dens.bounds, 24)
    np.testing.assert_allclose(want.sum(), 1.0)
    got = cell_integrals(dens.pdf, dens.bounds, 24)  # default budget: ~1e-3 of a mean cell
    np.testing.assert_allclose(got, want, atol=2e-3 * want.mean())
    assert np.all(got[want > 0] > 0)
    got = cell_integrals(dens.pdf, dens.bounds, 24, max_evals=1 << 24)  # converges (~8e6 evaluations)
    np.testing.assert_allclose(got, want, atol=2e-4 * want.mean())


def test_evaluation_budget_is_respected():
    calls = []

    def pdf(x):
        calls.append(len(x))
        return np.where(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5) < 0.3, 1 / (np.pi * 0.09), 0.0)

    got = cell_integrals(pdf, [[0, 1], [0, 1]], 8, max_evals=40_000)
    assert sum(calls) <= 40_000
    assert abs(got.sum() - 1) < 5e-3  # a disc: edges in every direction, still close


def test_chi2_test_respects_its_evaluation_budget(rng):
    calls = []

    def pdf(x):
        calls.append(len(x))
        return np.where(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5) < 0.3, 1 / (np.pi * 0.09), 0.0)

    r = np.sqrt(rng.random(20_000)) * 0.3
    t = 2 * np.pi * rng.random(20_000)
    x = 0.5 + np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    res = chi2_test(x, pdf, bounds=[[0, 1], [0, 1]], bins=16, max_evals=100_000)
    assert 16 ** 2 * (25 + 20) < sum(calls) <= 100_000 and res.p_value > 0.01
    calls.clear()
    with pytest.warns(UserWarning, match="did not converge within 46080 evaluations"):
        chi2_test(x, pdf, bounds=[[0, 1], [0, 1]], bins=32, max_evals=10_000)
    assert sum(calls) == 32 ** 2 * (25 + 20)  # the first pass (one box per cell) always runs


# ----------------------------------------------------------------------------- chi2_test verdicts

def _sliver_case(n, rng):
    """Uniform on [0.2, 0.6]² plus 10 % of the mass on the strip 0.8035 < x < 0.809, which holds no
    midpoint of the old 16 sub-cells per cell (bins = 10: midpoints at 0.803125, 0.809375)."""
    a, b = (0.8035, 0.809)
    w = b - a

    def pdf(x):
        core = np.all((x >= 0.2) & (x <= 0.6), axis=1) * (0.9 / 0.16)
        strip = ((x[:, 0] >= a) & (x[:, 0] <= b)) * (0.1 / w)
        return core + strip

    k = rng.random(n) < 0.1
    x = np.where(k[:, None], np.stack([a + w * rng.random(n), rng.random(n)], 1), 0.2 + 0.4 * rng.random((n, 2)))
    return x, pdf


def test_sliver_of_mass_between_midpoints_passes():
    rng = np.random.default_rng(11)
    x, pdf = _sliver_case(20_000, rng)
    # no node of the default rule falls in the strip either: cell_integrals alone sees nothing there,
    assert np.all(cell_integrals(pdf, [[0, 1], [0, 1]], 10)[8] == 0)
    # but chi2_test looks again where samples fall on zero-mass cells, and finds the strip's mass
    res = chi2_test(x, pdf, bounds=[[0, 1], [0, 1]], bins=10)
    np.testing.assert_allclose(res.expected[8], 0.01 * len(x), rtol=2e-3)  # 10 cells of 1 % each
    assert np.isfinite(res.statistic) and res.p_value > 0.01
    # the χ² still rejects the same samples against the pdf without the strip
    res = chi2_test(x, lambda z: np.all((z >= 0.2) & (z <= 0.6), axis=1) / 0.16, bounds=[[0, 1], [0, 1]], bins=10)
    assert res.p_value == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_right_pdf_passes_wrong_pdf_fails(seed):
    g = Gaussian((0.45, 0.55), [[0.02, 0.006], [0.006, 0.015]])
    x = g.sample(30_000, rng=seed)
    bounds = [[-0.2, 1.2], [-0.1, 1.2]]
    assert chi2_test(x, g.pdf, bounds=bounds).p_value > 0.01
    wrong = Gaussian((0.45, 0.55), [[0.024, 0.006], [0.006, 0.015]])  # 20 % more variance along x
    assert chi2_test(x, wrong.pdf, bounds=bounds).p_value < 1e-3


@pytest.mark.parametrize("seed", [0, 1])
def test_1d_and_3d_verdicts(seed):
    g1 = Gaussian((0.3,), 0.01)
    x1 = g1.sample(20_000, rng=seed)
    assert chi2_test(x1, g1.pdf, bounds=[[0, 0.6]]).p_value > 0.01
    assert chi2_test(x1, Gaussian((0.31,), 0.01).pdf, bounds=[[0, 0.6]]).p_value < 1e-3
    g3 = Gaussian((0.5, 0.4, 0.6), [0.02, 0.03, 0.01])
    x3 = g3.sample(40_000, rng=seed)
    box = [[-0.2, 1.2], [-0.3, 1.1], [0.1, 1.1]]
    assert chi2_test(x3, g3.pdf, bounds=box).p_value > 0.01
    assert chi2_test(x3, Gaussian((0.5, 0.4, 0.6), [0.026, 0.03, 0.01]).pdf, bounds=box).p_value < 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_mask_image_passes_with_defaults(seed):
    # 37 × 53 pixels with hard zeros: pixel edges cut the 64² χ² cells anywhere
    mask = (np.random.default_rng(100 + seed).random((37, 53)) < 0.4).astype(float)
    dens = ImageDensity(mask)
    x = dens.sample(82_000, rng=seed)
    res = chi2_test(x, dens.pdf, bounds=dens.bounds)
    assert res.observed.shape == (64, 64)
    assert res.p_value > 0.01
    other = ImageDensity(np.roll(mask, 1, axis=1))  # the mask shifted by one pixel: wrong
    assert chi2_test(x, other.pdf, bounds=dens.bounds).p_value < 1e-3


def test_image_density_passes_on_unaligned_domain():
    img = np.random.default_rng(4).random((23, 31)) ** 3
    img[5:9, 3:20] = 0.0
    dens = ImageDensity(img, domain=((-1.0, 2.0), (0.5, 1.7)))
    x = dens.sample(40_000, rng=3)
    assert chi2_test(x, dens.pdf, bounds=dens.bounds).p_value > 0.01


def test_samples_where_the_pdf_is_zero_fail():
    x = np.random.default_rng(0).random((5000, 2))
    res = chi2_test(x, lambda z: np.where(z[:, 0] < 0.5, 2.0, 0.0), bounds=[[0, 1], [0, 1]], bins=8)
    assert res.statistic == np.inf and res.p_value == 0.0


def test_bad_pdf_and_arguments_are_reported():
    x = np.random.default_rng(0).random((1000, 2))
    with pytest.raises(ValueError, match="negative, NaN"):
        chi2_test(x, lambda z: z[:, 0] - 0.5, bounds=[[0, 1], [0, 1]])
    with pytest.raises(ValueError, match="one value per point"):
        cell_integrals(lambda z: np.ones(3), [[0, 1]], 4)
    with pytest.raises(TypeError, match="subdivisions"):
        cell_integrals(lambda z: np.ones(len(z)), [[0, 1]], 4, subdivisions=2.5)
    with pytest.raises(ValueError, match="bounds"):
        cell_integrals(lambda z: np.ones(len(z)), [[1, 0]], 4)
    with pytest.raises(TypeError, match="callable"):
        cell_integrals("pdf", [[0, 1]], 4)
