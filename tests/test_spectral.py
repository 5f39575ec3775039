import numpy as np
import pytest
from scipy.stats import qmc

from iadb_graphics import pointsets as ps
from iadb_graphics._kernels.spectra import periodogram2d
from iadb_graphics.metrics.spectral import anisotropy, discrepancy, min_distance, pcf, periodogram, radial_power
from tests.naive import spectra as nspectra


def test_kernel_matches_numpy_twin(rng):
    for n, res in [(1, 3), (57, 7), (300, 12)]:
        x = rng.random((n, 2))
        np.testing.assert_allclose(periodogram2d(x, res), nspectra.periodogram2d(x, res), atol=1e-10)


def test_periodogram_properties(rng):
    x = rng.random((500, 2))
    p = periodogram(x, 16)
    assert p.shape == (33, 33) and p[16, 16] == 0.0
    np.testing.assert_allclose(p, p[::-1, ::-1], atol=1e-10)  # P(-k) = P(k) for real points
    assert abs(p.mean() * 33 * 33 / (33 * 33 - 1) - 1.0) < 0.1  # white noise: E P(k) = 1
    y = rng.random((500, 2))
    np.testing.assert_allclose(periodogram([x, y], 16), (p + periodogram(y, 16)) / 2)


def test_periodogram_1d(rng):
    x = rng.random((100, 1))
    k = np.arange(-5, 6)
    expect = np.abs(np.exp(-2j * np.pi * k[None, :] * x).sum(0)) ** 2 / 100
    expect[5] = 0
    np.testing.assert_allclose(periodogram(x, 5), expect, atol=1e-10)


def test_periodogram_bad_input(rng):
    with pytest.raises(ValueError, match="d=1 or d=2"):
        periodogram(rng.random((10, 3)), 4)
    with pytest.raises(ValueError, match="res"):
        periodogram(rng.random((10, 2)), 0)
    with pytest.raises(ValueError, match="empty"):
        periodogram(np.empty((0, 2)), 4)


def test_radial_power_and_anisotropy():
    p = np.ones((21, 21))
    r, pw = radial_power(p)
    np.testing.assert_allclose(r, np.arange(1, 11))
    np.testing.assert_allclose(pw, 1.0)
    _, an = anisotropy(p)
    assert np.all(an < -100)  # constant rings: no variance
    rng = np.random.default_rng(0)
    sets = [rng.random((256, 2)) for _ in range(10)]
    _, an = anisotropy(periodogram(sets, 20))
    assert abs(np.mean(an[3:]) + 10.0) < 1.5  # 10 realisations of white noise: -10 dB
    with pytest.raises(ValueError, match="periodogram"):
        radial_power(np.ones((4, 4)))


def test_pcf_white_and_poisson_disk(rng):
    r, g = pcf([rng.random((1000, 2)) for _ in range(3)])
    assert np.all(np.abs(g[r > 0.02] - 1.0) < 0.2)
    _, g2 = pcf([rng.random((1000, 2)) for _ in range(3)], torus=False)
    assert np.all(np.abs(g2[r > 0.02] - 1.0) < 0.2)
    x = ps.poisson_disk(radius=0.03, rng=1)
    r, g = pcf(x, r_max=0.1, sigma=0.002)
    assert np.all(g[r < 0.025] < 0.05) and g[(r > 0.03) & (r < 0.04)].max() > 1.2


def test_discrepancy_is_scipys(rng):
    x = rng.random((64, 2))
    assert discrepancy(x) == pytest.approx(qmc.discrepancy(x, method="CD"))
    assert discrepancy(x, method="L2-star") == pytest.approx(qmc.discrepancy(x, method="L2-star"))
    with pytest.raises(ValueError, match="method"):
        discrepancy(x, method="XX")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        discrepancy(x + 1)


def test_min_distance_brute_force(rng):
    x = rng.random((200, 2))
    diff = np.abs(x[:, None] - x[None])
    eu = np.sqrt((diff ** 2).sum(-1))
    to = np.sqrt((np.minimum(diff, 1 - diff) ** 2).sum(-1))
    np.fill_diagonal(eu, np.inf)
    np.fill_diagonal(to, np.inf)
    assert min_distance(x, torus=False) == pytest.approx(eu.min())
    assert min_distance(x) == pytest.approx(to.min())
    assert min_distance(x[:1]) == np.inf
