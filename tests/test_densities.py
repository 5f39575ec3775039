import numpy as np
import pytest

from iadb_graphics import Empirical, Gaussian, GaussianMixture, ImageDensity, Uniform, as_density, toy2d
from iadb_graphics.densities import TOY2D_NAMES
from iadb_graphics.io import write_image
from iadb_graphics.metrics import chi2_test

UNIT = [[0, 1], [0, 1]]


def _with_pdf():
    img = np.random.default_rng(3).random((12, 20)) ** 2
    return [
        (Uniform((0, -1), (2, 1)), [[0, 2], [-1, 1]]),
        (Uniform((0.2,), (0.7,)), [[0, 1]]),
        (Gaussian((0.5, 0.4), [[0.02, 0.01], [0.01, 0.03]]), [[-0.3, 1.3], [-0.5, 1.3]]),
        (Gaussian((1.0, 2.0, 3.0), [0.1, 0.2, 0.3]), [[-0.5, 2.5], [0.3, 3.7], [1.2, 4.8]]),
        (GaussianMixture([[0.2, 0.2], [0.7, 0.6]], [0.01, 0.02], [0.3, 0.7]), [[-0.3, 1.2], [-0.3, 1.2]]),
        (toy2d("8gaussians"), UNIT),
        (toy2d("checkerboard"), UNIT),
        (ImageDensity(img), UNIT),
        (ImageDensity(img, domain=((-2, 2), (10, 11)), gamma=0.5), [[-2, 2], [10, 11]]),
    ]


@pytest.mark.parametrize("density,bounds", _with_pdf(), ids=lambda v: type(v).__name__ if not isinstance(v, list) else "")
def test_samples_pass_chi2_against_own_pdf(density, bounds):
    x = density.sample(40_000, rng=7)
    assert x.shape == (40_000, density.d) and x.dtype == np.float64
    assert chi2_test(x, density.pdf, bounds=bounds).p_value > 0.01


def test_chi2_rejects_a_wrong_pdf():
    x = Gaussian((0.5, 0.5), 0.01).sample(20_000, rng=0)
    assert chi2_test(x, Gaussian((0.5, 0.5), 0.012).pdf, bounds=UNIT).p_value < 1e-6


def test_gaussian_pdf_matches_scipy(rng):
    from scipy.stats import multivariate_normal

    cov = [[0.5, 0.2, 0.0], [0.2, 0.4, 0.1], [0.0, 0.1, 0.3]]
    g = Gaussian((1, 2, 3), cov)
    x = rng.normal(size=(50, 3)) + 2
    np.testing.assert_allclose(g.log_pdf(x), multivariate_normal((1, 2, 3), cov).logpdf(x), rtol=1e-10)


def test_mixture_pdf_is_the_weighted_sum(rng):
    mix = GaussianMixture([[0, 0], [1, 1]], [0.1, [0.2, 0.3]], [1, 3])
    x = rng.normal(size=(20, 2))
    want = 0.25 * Gaussian((0, 0), 0.1).pdf(x) + 0.75 * Gaussian((1, 1), [0.2, 0.3]).pdf(x)
    np.testing.assert_allclose(mix.pdf(x), want, rtol=1e-10)


def test_image_orientation_row_zero_is_top():
    img = np.zeros((4, 3))
    img[0, 2] = 1.0  # top-right pixel only
    d = ImageDensity(img)
    x = d.sample(1000, rng=0)
    assert np.all((x[:, 0] >= 2 / 3) & (x[:, 0] <= 1) & (x[:, 1] >= 0.75) & (x[:, 1] <= 1))
    np.testing.assert_allclose(d.pdf([[0.9, 0.9], [0.1, 0.1], [1.5, 0.5]]), [12.0, 0.0, 0.0])


def test_image_density_pdf_integrates_to_one(rng):
    d = ImageDensity(rng.random((30, 40, 3)), domain=((0, 2), (0, 3)))
    u = rng.random((200_000, 2)) * [2, 3]
    assert abs(d.pdf(u).mean() * 6 - 1) < 0.01


def test_image_density_from_file_rgba_and_invert(tmp_path):
    img = np.zeros((8, 8, 4), dtype=np.uint8)
    img[..., :3] = 255
    img[:4, :, 3] = 255  # top half opaque white, bottom transparent
    path = tmp_path / "mask.png"
    write_image(path, img)
    d = ImageDensity(path)
    assert np.all(d.sample(500, rng=0)[:, 1] >= 0.5)
    gray = np.linspace(0, 1, 16).reshape(4, 4)
    inv = ImageDensity(gray, invert=True)
    np.testing.assert_allclose(inv.mass.ravel(), (1 - gray.ravel()) / (1 - gray).sum())


def test_toys_fit_the_unit_square_and_are_reproducible():
    for name in TOY2D_NAMES:
        toy = toy2d(name)
        a, b = toy.sample(2000, rng=1), toy.sample(2000, rng=1)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, toy.sample(2000, rng=2))
        inside = np.mean(np.all((a > -0.02) & (a < 1.02), axis=1))
        assert inside > 0.995, name


def test_empirical_resamples_by_weight():
    pts = np.array([[0.0], [1.0], [2.0]])
    e = Empirical(pts, weights=[0.0, 1.0, 3.0])
    x = e.sample(40_000, rng=0)
    counts = np.array([(x == v).sum() for v in (0, 1, 2)])
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3) < 0.15
    assert as_density(pts, "source").d == 1


@pytest.mark.parametrize("make,exc,match", [
    (lambda: Uniform((0, 0), (1, 0)), ValueError, "high must exceed low"),
    (lambda: Gaussian((0, 0), [[1, 2], [2, 1]]), ValueError, "positive definite"),
    (lambda: Gaussian((0, np.nan)), ValueError, "mean"),
    (lambda: GaussianMixture([[0, 0]], [0.1], [-1]), ValueError, "weights"),
    (lambda: toy2d("banana"), ValueError, "valid names: 8gaussians, checkerboard"),
    (lambda: toy2d("moons", sigma=3), TypeError, "bad parameters"),
    (lambda: ImageDensity(np.zeros((5, 5))), ValueError, "zero total mass"),
    (lambda: ImageDensity(-np.ones((5, 5))), ValueError, "negative"),
    (lambda: ImageDensity(np.full((5, 5), np.nan)), ValueError, "NaN"),
    (lambda: ImageDensity(np.ones((3, 20, 30))), ValueError, "channel-first"),
    (lambda: ImageDensity(np.ones((20, 30, 5))), ValueError, "5 channels"),
    (lambda: ImageDensity(np.ones(5)), ValueError, "shape"),
    (lambda: ImageDensity(np.ones((4, 4)), gamma=0), ValueError, "gamma"),
    (lambda: ImageDensity("/nonexistent/file.png"), ValueError, "does not exist"),
    (lambda: Empirical(np.zeros((0, 2))), ValueError, "empty"),
    (lambda: Empirical([[0.0], [np.inf]]), ValueError, "NaN or infinite"),
    (lambda: Empirical([[0.0], [1.0]], weights=[1.0]), ValueError, "weights must have shape"),
    (lambda: Uniform().sample(-1), ValueError, "n must be >= 0"),
    (lambda: Uniform().sample(2.5), TypeError, "n must be an integer"),
    (lambda: Uniform().sample(3, rng="seed"), TypeError, "rng"),
    (lambda: Uniform().pdf(np.zeros((3, 3))), ValueError, "dimension d=2"),
    (lambda: toy2d("moons").pdf(np.zeros((3, 2))), NotImplementedError, "no density"),
])
def test_bad_input_is_named(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_non_image_file_is_refused(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="not a readable image"):
        ImageDensity(bad)


def test_zero_samples():
    assert Gaussian().sample(0).shape == (0, 2)
