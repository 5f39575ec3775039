import numpy as np
import pytest
import torch

from iadb_graphics import Gaussian
from iadb_graphics.blending import alpha_schedule, blend, deblend, integrate, stochastic_iadb, training_target


def test_blend_endpoints_and_per_sample_alpha(rng):
    x0, x1 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    np.testing.assert_array_equal(blend(x0, x1, 0.0), x0)
    np.testing.assert_allclose(blend(x0, x1, 1.0), x1, atol=1e-15)
    a = rng.random(5)
    np.testing.assert_allclose(blend(x0, x1, a), (1 - a[:, None]) * x0 + a[:, None] * x1)
    t = blend(torch.as_tensor(x0), torch.as_tensor(x1), torch.as_tensor(a))
    np.testing.assert_allclose(t.numpy(), (1 - a[:, None]) * x0 + a[:, None] * x1)


def test_deblend_inverts_blend_with_the_true_velocity(rng):
    x0, x1 = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    a = rng.random(4)
    b0, b1 = deblend(blend(x0, x1, a), training_target(x0, x1), a)
    np.testing.assert_allclose(b0, x0, atol=1e-12)
    np.testing.assert_allclose(b1, x1, atol=1e-12)
    assert training_target(x0, x1, "endpoints").shape == (4, 4)


def test_schedules():
    np.testing.assert_allclose(alpha_schedule(4), [0, 0.25, 0.5, 0.75, 1])
    c = alpha_schedule(8, kind="cosine")
    assert c[0] == 0 and c[-1] == 1 and np.all(np.diff(c) > 0)
    with pytest.raises(ValueError, match="n_steps must be >= 1"):
        alpha_schedule(0)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_constant_velocity_moves_by_exactly_c(rng, method):
    c = np.array([0.3, -1.2])
    x = rng.normal(size=(10, 2))

    def vel(z, a, b, need_jac):
        v = np.broadcast_to(c, z.shape)
        return (v, np.zeros(z.shape + (2,))) if need_jac else v

    y, ld = integrate(vel, x, alpha_schedule(17), method=method, log_det=True)
    np.testing.assert_allclose(y, x + c, atol=1e-14)
    np.testing.assert_array_equal(ld, 0.0)
    np.testing.assert_allclose(integrate(vel, y, alpha_schedule(17)[::-1], method=method), x, atol=1e-14)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_linear_velocity_log_det_is_exact(rng, method):
    # v(x) = A x: each Euler step is I + hA, so log|det| = Σ log|det(I + hA)|
    A = np.array([[0.2, 0.5], [-0.3, 0.1]])
    x = rng.normal(size=(6, 2))

    def vel(z, a, b, need_jac):
        v = z @ A.T
        return (v, np.broadcast_to(A, z.shape + (2,))) if need_jac else v

    alphas = alpha_schedule(10)
    y, ld = integrate(vel, x, alphas, method=method, log_det=True)
    h = 0.1
    step = np.eye(2) + h * A if method == "euler" else np.eye(2) + h * A + 0.5 * h * h * A @ A
    M = np.linalg.matrix_power(step, 10)
    np.testing.assert_allclose(y, x @ M.T, atol=1e-12)
    np.testing.assert_allclose(ld, np.log(abs(np.linalg.det(M))), atol=1e-12)


def test_stochastic_iadb_reaches_the_target():
    src, tgt = Gaussian((0.0,), 1.0), Gaussian((3.0,), 0.25)
    x = src.sample(2000, rng=0)
    y = stochastic_iadb(x, src, tgt, n_steps=32, n_pairs=2048, rng=1)
    assert abs(y.mean() - 3.0) < 0.05 and abs(y.std() - 0.5) < 0.05
    np.testing.assert_array_equal(y, stochastic_iadb(x, src, tgt, n_steps=32, n_pairs=2048, rng=1))


def test_minibatch_ot_pairs_is_the_optimal_permutation_in_each_block():
    import itertools

    from iadb_graphics.blending import minibatch_ot_pairs

    rng = np.random.default_rng(0)
    x0, x1 = rng.random((9, 2)), rng.random((9, 2))
    out = minibatch_ot_pairs(x0, x1, 4)  # blocks of 4, 4 and a last row kept as it is
    for s in (0, 4):
        a, b = x0[s:s + 4], x1[s:s + 4]
        best = min(itertools.permutations(range(4)), key=lambda p: np.sum((a - b[list(p)]) ** 2))
        np.testing.assert_array_equal(out[s:s + 4], b[list(best)])
    np.testing.assert_array_equal(out[8], x1[8])
    assert sorted(map(tuple, out)) == sorted(map(tuple, x1))  # a permutation of x1
