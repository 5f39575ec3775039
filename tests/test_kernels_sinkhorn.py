import numpy as np
import ot
import pytest

from iadb_graphics._kernels.sinkhorn import softmin
from iadb_graphics.transport import log_sinkhorn
from tests.naive import sinkhorn as naive


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("eps", [1e-4, 0.05, 3.0])
def test_softmin_equals_numpy_twin(rng, d, eps):
    x, y = rng.normal(size=(70, d)), rng.normal(size=(53, d)) + 0.5
    h = rng.normal(size=53)
    out = np.empty(70)
    softmin(x, y, h, eps, out)
    np.testing.assert_allclose(out, naive.softmin(x, y, h, eps), rtol=1e-12, atol=1e-12)


def test_log_sinkhorn_marginals_and_pot_plan(rng):
    zs, zt = rng.normal(size=(120, 2)), 0.5 * rng.normal(size=(90, 2)) + 1.0
    reg = 0.02  # cost max / reg is in the thousands: the plain kernel underflows
    cost = ot.dist(zs, zt)
    diameter2 = float(np.sum((np.maximum(zs.max(0), zt.max(0)) - np.minimum(zs.min(0), zt.min(0))) ** 2))
    assert diameter2 >= cost.max()
    log_u, log_v, n_iter = log_sinkhorn(zs, zt, reg, diameter2, max_iter=5000, tol=1e-13)
    plan = np.exp(log_u[:, None] + log_v[None, :] - cost / reg)
    np.testing.assert_allclose(plan.sum(1), 1 / 120, rtol=1e-8)
    np.testing.assert_allclose(plan.sum(0), 1 / 90, rtol=1e-8)
    pot = ot.bregman.sinkhorn_log(np.full(120, 1 / 120), np.full(90, 1 / 90), cost, reg, numItermax=20000,
                                  stopThr=1e-12)
    np.testing.assert_allclose(plan, pot, atol=1e-9)
    assert n_iter < 5000


def test_log_sinkhorn_warns_when_it_runs_out_of_iterations(rng):
    zs, zt = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    with pytest.warns(UserWarning, match="max_iter=3"):
        log_sinkhorn(zs, zt, 1e-3, 50.0, max_iter=3)
