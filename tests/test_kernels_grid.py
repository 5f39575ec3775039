"""Grid and interpolation kernels against their plain-numpy twins (tests/naive/grid.py)."""
import numpy as np
import pytest

from iadb_graphics._kernels import grid as K
from iadb_graphics._kernels import interp as I
from tests.naive import grid as N

SHAPES = {1: (9,), 2: (7, 5), 3: (6, 5, 4)}


def _setup(rng, d, n=300):
    shape = SHAPES[d]
    lo = rng.normal(size=d)
    step = rng.random(d) + 0.5
    # points inside and up to 20 % outside the box on each side
    x = lo + (rng.random((n, d)) * 1.4 - 0.2) * (np.array(shape) - 1) * step
    return shape, lo, step, x


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interp_matches_numpy(rng, d, dtype):
    shape, lo, step, x = _setup(rng, d)
    values = rng.normal(size=shape + (3,)).astype(dtype)
    got = I.interp(values, lo, step, x)
    assert got.dtype == np.float64 and got.shape == (x.shape[0], 3)
    np.testing.assert_allclose(got, N.interp(values.astype(float), lo, step, x), atol=1e-12)
    out, jac = I.interp_with_jacobian(values, lo, step, x)
    out2, jac2 = N.interp_with_jacobian(values.astype(float), lo, step, x)
    np.testing.assert_allclose(out, out2, atol=1e-12)
    # float32 tables: differences of node values are taken in float32
    np.testing.assert_allclose(jac, jac2, atol=1e-11 if dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_interp_reproduces_affine_and_nodes(rng, d):
    shape, lo, step, x = _setup(rng, d)
    nodes = I.grid_nodes(lo, step, shape)
    a = rng.normal(size=(d, 2))
    values = (nodes @ a + 1.0).reshape(shape + (2,))
    np.testing.assert_allclose(I.interp(values, lo, step, nodes), nodes @ a + 1.0, atol=1e-12)
    inside = np.all((x >= lo) & (x <= lo + (np.array(shape) - 1) * step), axis=1)
    out, jac = I.interp_with_jacobian(values, lo, step, x[inside])
    np.testing.assert_allclose(out, x[inside] @ a + 1.0, atol=1e-12)
    np.testing.assert_allclose(jac, np.broadcast_to(a.T, jac.shape), atol=1e-11)


def test_interp_clamps_outside(rng):
    values = rng.normal(size=(4, 4, 1))
    far = np.array([[-100.0, -100.0], [100.0, 100.0]])
    out, jac = I.interp_with_jacobian(values, [0, 0], [1, 1], far)
    np.testing.assert_allclose(out[:, 0], [values[0, 0, 0], values[-1, -1, 0]])
    assert np.all(jac == 0)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_logabsdet_matches_numpy(rng, d):
    jac = rng.normal(size=(200, d, d))
    np.testing.assert_allclose(I.logabsdet_eye_plus(jac, 0.3), N.logabsdet_eye_plus(jac, 0.3), atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_splat_matches_numpy_and_keeps_mass(rng, d):
    shape, lo, step, x0 = _setup(rng, d, n=500)
    dx = rng.normal(size=x0.shape)
    got = K.splat_blend(x0, dx, 0.3, lo, step, shape)
    np.testing.assert_allclose(got, N.splat_blend(x0, dx, 0.3, lo, step, shape), atol=1e-10)
    assert got[..., d].sum() == pytest.approx(500.0)
    np.testing.assert_allclose(K.splat_blend(x0, dx, 0.3, lo, step, shape, n_chunks=7), got, atol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_smooth_matches_direct_convolution(rng, d):
    g = rng.random(SHAPES[d] + (2,))
    np.testing.assert_allclose(K.smooth(g, 1.2), N.smooth(g, 1.2), atol=1e-12)
    np.testing.assert_allclose(K.smooth(g, 0), g)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("half", [False, True])
def test_smooth_with_walls_matches_mirrored_convolution(rng, d, half):
    g = rng.normal(size=SHAPES[d] + (d + 1,))
    walls = rng.random((d, 2)) < 0.6
    walls[0, 0] = True
    got = K.smooth(g, 1.3, walls=walls, half=half)
    np.testing.assert_allclose(got, N.smooth(g, 1.3, walls=walls, half=half), atol=1e-12)
    # no wall: the plain zero-padded smoothing
    np.testing.assert_allclose(K.smooth(g, 1.3, walls=np.zeros((d, 2), bool)), K.smooth(g, 1.3), atol=1e-12)


def test_smooth_with_walls_keeps_constant_tangential_field():
    # a uniform weight and a tangential flux stay uniform up to the walls; the normal flux
    # of an even (mirror-folded) splat stays zero on the wall nodes
    g = np.ones((12, 9, 3))
    g[..., 0] = 0.0
    walls = np.array([[True, True], [True, True]])
    out = K.smooth(g, 1.0, walls=walls, half=True)
    np.testing.assert_allclose(out[..., 2], 1.0, atol=1e-12)
    np.testing.assert_allclose(out[..., 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(out[:, 3:-3, 1], 1.0, atol=1e-12)  # away from the y walls


def test_ratio_with_floor(rng):
    num = rng.normal(size=(6, 5, 2))
    w = rng.random((6, 5))
    w[0, 0] = 0.0
    fb = rng.normal(size=(6, 5, 2))
    got = K.ratio_with_floor(num, w, 0.01, fb)
    np.testing.assert_allclose(got, N.ratio_with_floor(num, w, 0.01, fb), atol=1e-12)
    np.testing.assert_allclose(got[0, 0], (num[0, 0] + 0.01 * fb[0, 0]) / 0.01)
    const = K.ratio_with_floor(num, w, 0.01, np.array([1.0, 2.0]), dtype=np.float32)
    assert const.dtype == np.float32 and np.all(np.isfinite(const))
    with pytest.raises(ValueError, match="floor"):
        K.ratio_with_floor(num, w, 0.0, fb)


def test_interp_rejects_bad_shapes():
    with pytest.raises(ValueError, match="x must have shape"):
        I.interp(np.zeros((3, 3, 1)), [0, 0], [1, 1], np.zeros((4, 3)))
    with pytest.raises(ValueError, match="at least 2 nodes"):
        I.interp(np.zeros((1, 3, 1)), [0, 0], [1, 1], np.zeros((4, 2)))
