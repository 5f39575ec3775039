import numpy as np
import pytest

from iadb_graphics import pointsets as ps
from iadb_graphics.metrics.integration import (GaussianIntegrand, HeavisideIntegrand, integration_error,
                                               loglog_slope, random_gaussians, random_heavisides)


def _midpoint_grid(m, d=2):
    g = (np.arange(m) + 0.5) / m
    return np.stack(np.meshgrid(*([g] * d), indexing="ij"), -1).reshape(-1, d)


def test_gaussian_closed_form_by_quadrature():
    x = _midpoint_grid(1000)
    for f in random_gaussians(6, rng=0) + [GaussianIntegrand([0.0, 1.2], [0.5, 0.05])]:
        assert f(x).mean() == pytest.approx(f.integral, rel=1e-5, abs=1e-9)
    f = GaussianIntegrand([0.2, 0.5, 0.9], 0.2)
    assert f(_midpoint_grid(100, 3)).mean() == pytest.approx(f.integral, rel=1e-4)


def test_heaviside_closed_form_by_quadrature():
    x = _midpoint_grid(2000)
    for f in random_heavisides(8, rng=1):
        assert f(x).mean() == pytest.approx(f.integral, abs=2e-4)
    assert HeavisideIntegrand([1, 0], 0.3).integral == pytest.approx(0.7)
    assert HeavisideIntegrand([1, 1], 1.0).integral == pytest.approx(0.5)
    assert HeavisideIntegrand([1, 1], 5.0).integral == 0.0
    assert HeavisideIntegrand([-1, 2], -9.0).integral == pytest.approx(1.0)


def test_integrand_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        GaussianIntegrand([0.5, 0.5], 0.0)
    with pytest.raises(ValueError, match="normal"):
        HeavisideIntegrand([0, 0], 0.5)
    with pytest.raises(ValueError, match="d=2"):
        GaussianIntegrand([0.5, 0.5], 0.1)(np.zeros((3, 3)))


def test_integration_error_slopes():
    res = integration_error(["white", "jittered"], ns=[16, 64, 256, 1024], n_trials=12, rng=3)
    assert set(res.mse) == {(p, f) for p in ("white", "jittered") for f in ("gaussian", "heaviside")}
    for fam in ("gaussian", "heaviside"):
        assert -1.35 < res.slopes[("white", fam)] < -0.65  # MC: MSE ~ 1/N
        assert res.slopes[("jittered", fam)] < -1.3          # stratified: faster
    rows = res.rows()
    assert len(rows) == 16 and {"pointset", "family", "n", "mse", "slope"} <= set(rows[0])


def test_integration_error_custom_and_bad_input():
    fams = {"g": random_gaussians(4, rng=0)}
    res = integration_error({"sobol": ps.sobol}, fams, ns=[32, 128], n_trials=4, rng=0)
    assert res.mse[("sobol", "g")].shape == (2,)
    with pytest.raises(ValueError, match="unknown point set"):
        integration_error(["nope"], ns=[8])
    with pytest.raises(TypeError, match="integrands"):
        integration_error(["white"], {"bad": [lambda x: x]}, ns=[8])
    with pytest.raises(ValueError, match="ns"):
        integration_error(["white"], ns=[0])


def test_loglog_slope():
    ns = np.array([10, 100, 1000])
    assert loglog_slope(ns, 3.0 / ns ** 1.5) == pytest.approx(-1.5)
    assert np.isnan(loglog_slope(ns, [0, 0, 1]))
