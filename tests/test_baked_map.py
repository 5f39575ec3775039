"""BakedMap: exact on affine maps, ≈ the map it bakes, exact log-det, inverse, files."""
import numpy as np
import pytest

from iadb_graphics import densities as D
from iadb_graphics.maps.baked import BakedMap
from iadb_graphics.maps.base import BaseMap
from iadb_graphics.maps.grid import GridIADBMap


class Affine(BaseMap):
    """A stub map T(x) = A x + b (multilinear interpolation reproduces it exactly)."""

    def __init__(self, a, b):
        self.a, self.b = np.asarray(a, float), np.asarray(b, float)
        self.d = self.a.shape[0]
        self.bounds = np.array([[0.0, 1.0]] * self.d)

    def transform(self, x):
        return x @ self.a.T + self.b

    def inverse_transform(self, y):
        return np.linalg.solve(self.a, (y - self.b).T).T


@pytest.mark.parametrize("d", [1, 2, 3])
def test_affine_baked_exactly(rng, d):
    a = np.eye(d) + 0.3 * rng.normal(size=(d, d))
    b = rng.normal(size=d)
    m = Affine(a, b)
    baked = m.bake(5, bounds=[[-10.0, 10.0]] * d)  # covers x and T(x): the inverse table is exact too
    x = rng.random((100, d))
    y, ld = baked.apply(x, return_log_det=True)
    np.testing.assert_allclose(y, m.transform(x), atol=1e-12)
    np.testing.assert_allclose(ld, np.log(abs(np.linalg.det(a))), atol=1e-10)
    np.testing.assert_allclose(baked.apply_inverse(y), x, atol=1e-10)
    np.testing.assert_allclose(baked.transform(x), y)
    np.testing.assert_allclose(baked.inverse_transform(y), x, atol=1e-10)


def test_outside_points_move_continuously():
    m = Affine(np.eye(2), [0.1, -0.2])
    baked = BakedMap.from_map(m, 3, inverse=False)
    far = np.array([[-3.0, 5.0], [7.0, 7.0]])
    np.testing.assert_allclose(baked.apply(far), far + [0.1, -0.2])
    with pytest.raises(ValueError, match="inverse=False"):
        baked.apply_inverse(far)


@pytest.fixture(scope="module")
def grid_map():
    return GridIADBMap(bins=64, n_steps=16, n_pairs=1 << 16).fit(D.Uniform(), D.Gaussian((0.5, 0.5), 0.02), rng=0)


def test_baked_close_to_unbaked(grid_map, rng):
    baked = grid_map.bake(257)
    x = rng.random((500, 2)) * 0.9 + 0.05
    np.testing.assert_allclose(baked.apply(x), grid_map.transform(x), atol=2e-3)
    y = grid_map.transform(x)
    np.testing.assert_allclose(baked.apply_inverse(y), x, atol=5e-3)
    # exact log-det of the interpolant: central differences inside cells
    _, ld = baked.apply(x, return_log_det=True)
    eps = 1e-7
    cols = [(baked.apply(x + eps * e) - baked.apply(x - eps * e)) / (2 * eps) for e in np.eye(2)]
    fd = np.linalg.slogdet(np.stack(cols, axis=2))[1]
    assert np.median(np.abs(fd - ld)) < 1e-5


def test_save_load_and_torch(grid_map, tmp_path, rng):
    baked = grid_map.bake(17, inverse=False)
    baked.save(tmp_path / "b.npz")
    again = BakedMap.load(tmp_path / "b.npz")
    x = rng.random((20, 2))
    np.testing.assert_array_equal(again.apply(x), baked.apply(x))
    assert again.backward_ is None and "resolution=17" in repr(again)
    import torch
    yt = again.apply(torch.as_tensor(x))
    assert isinstance(yt, torch.Tensor)


def test_errors(grid_map):
    with pytest.raises(ValueError, match="resolution"):
        grid_map.bake(1)
    with pytest.raises(ValueError, match="bounds"):
        BakedMap.from_map(grid_map, 4, bounds=[[0, 1]])
    with pytest.raises(ValueError, match="fitted map"):
        BakedMap.from_map(object(), 4)
    baked = grid_map.bake(4)
    with pytest.raises(ValueError, match="x has shape"):
        baked.apply(np.zeros((3, 3)))
