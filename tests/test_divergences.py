"""Divergences that cannot read "better than perfect": bias checks and closed forms."""
import numpy as np
import pytest

from iadb_graphics import densities as D
from iadb_graphics.metrics import (effective_sample_size, energy_test, kl_divergence, pushforward_log_density,
                                   sinkhorn_divergence)


class _LinearMap:
    """x -> A x + b with its constant log-det."""

    def __init__(self, a, b):
        self.a, self.b = np.asarray(a, float), np.asarray(b, float)

    def transform(self, x, *, return_log_det=False):
        y = x @ self.a.T + self.b
        if return_log_det:
            return y, np.full(len(x), np.linalg.slogdet(self.a)[1])
        return y


def _kl_gauss(m0, s0, m1, s1):
    """Closed-form KL(N(m0, s0) || N(m1, s1))."""
    d = len(m0)
    inv = np.linalg.inv(s1)
    dm = np.asarray(m1) - np.asarray(m0)
    return 0.5 * (np.trace(inv @ s0) + dm @ inv @ dm - d + np.linalg.slogdet(s1)[1] - np.linalg.slogdet(s0)[1])


def test_kl_of_linear_gaussian_map_equals_closed_form():
    src = D.Gaussian((0.0, 0.0), np.eye(2))
    a, b = np.array([[1.2, 0.3], [0.0, 0.8]]), np.array([0.5, -0.2])
    tgt_cov = np.array([[1.1, 0.2], [0.2, 0.9]])
    tgt = D.Gaussian((0.4, 0.0), tgt_cov)
    m = _LinearMap(a, b)
    x = src.sample(200000, rng=0)
    y, log_q = pushforward_log_density(lambda z: m.transform(z, return_log_det=True), src, x)
    # log q is exact: the pushforward is N(b, A A^T)
    np.testing.assert_allclose(log_q, D.Gaussian(b, a @ a.T).log_pdf(y), atol=1e-10)
    kl, se = kl_divergence(log_q, tgt.log_pdf(y), return_se=True)
    exact = _kl_gauss(b, a @ a.T, [0.4, 0.0], tgt_cov)
    assert abs(kl - exact) < 4 * se and se < 0.02 * exact
    # the identity onto its own source: exactly 0 and ESS exactly 1
    assert kl_divergence(src.log_pdf(x), src.log_pdf(x)) == 0.0
    assert effective_sample_size(src.log_pdf(x), src.log_pdf(x)) == pytest.approx(1.0)


def test_ess_closed_form_for_gaussian_proposal():
    # q = N(0, s^2), p = N(0, 1) in 1D: E_q w = 1, E_q w^2 = s^2 / sqrt(2 s^2 - 1) for s^2 > 1/2
    s = 1.2
    x = np.random.default_rng(1).normal(0, s, 400000)
    log_q = -0.5 * (x / s) ** 2 - np.log(s * np.sqrt(2 * np.pi))
    log_p = -0.5 * x ** 2 - np.log(np.sqrt(2 * np.pi))
    exact = np.sqrt(2 * s * s - 1) / s ** 2
    assert effective_sample_size(log_q, log_p) == pytest.approx(exact, rel=0.01)


def test_mass_outside_the_support_gives_infinite_kl_not_nan():
    tgt = D.Uniform()
    y = np.array([[0.5, 0.5], [1.2, 0.5], [0.3, 0.1]])
    log_q = np.zeros(3)
    assert kl_divergence(log_q, tgt.log_pdf(y)) == np.inf
    assert kl_divergence(log_q, tgt.log_pdf(y), return_se=True) == (np.inf, np.inf)
    assert effective_sample_size(log_q, tgt.log_pdf(y)) == pytest.approx(2 / 3)
    assert effective_sample_size(log_q, np.full(3, -np.inf)) == 0.0
    with pytest.raises(ValueError, match="log_q"):
        kl_divergence([0.0, -np.inf], [0.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        effective_sample_size([0.0], [0.0, 1.0])


def test_shrinking_map_scores_worse_than_an_exact_sampler():
    # a map that contracts the target 5 % towards its mean vs an exact sampler, N = 4096,
    # against the same fresh reference sample, on both sample-based divergences
    n = 4096
    tgt = D.toy2d("moons")
    rng = np.random.default_rng(0)
    ref, exact = tgt.sample(n, rng=rng), tgt.sample(n, rng=rng)
    shrunk = exact.mean(0) + 0.95 * (exact - exact.mean(0))
    assert sinkhorn_divergence(shrunk, ref) > sinkhorn_divergence(exact, ref)
    e_exact, e_shrunk = energy_test(exact, ref, rng=1), energy_test(shrunk, ref, rng=1)
    assert abs(e_exact.z) < 2 and e_shrunk.value > e_exact.value and e_shrunk.z > e_exact.z + 1
    # and KL / ESS with exact densities: a 5 % contraction of N(0, I), KL = 2 ln(1/0.95) + 0.95^2 - 1
    g = D.Gaussian((0.0, 0.0), np.eye(2))
    x = g.sample(n, rng=2)
    y = 0.95 * x
    log_q = g.log_pdf(x) - 2 * np.log(0.95)
    kl, se = kl_divergence(log_q, g.log_pdf(y), return_se=True)
    assert kl > 0.0 and abs(kl - (2 * np.log(1 / 0.95) + 0.95 ** 2 - 1)) < 4 * se
    assert effective_sample_size(log_q, g.log_pdf(y)) < 1.0


def test_divergences_vanish_only_for_equal_sets_and_check_input():
    x = np.random.default_rng(3).random((300, 2))
    assert sinkhorn_divergence(x, x) < 1e-9
    assert sinkhorn_divergence(x, x + [0.3, 0.0]) > 0.5 * 0.09  # ~ |shift|^2 for a large shift
    e = energy_test(x, x + [0.3, 0.0], rng=0)
    assert e.value > 0 and e.z > 5
    with pytest.raises(ValueError, match="points"):
        energy_test(x[:10], x, n_blocks=20)
    with pytest.raises(ValueError, match="blur"):
        sinkhorn_divergence(x, x, blur=-1.0)
