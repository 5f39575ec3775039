"""The mesh point-location kernels against their plain-numpy twins."""
import numpy as np
import pytest

from iadb_graphics._kernels import mesh as kern
from tests.naive import mesh as naive


def _soup(rng, t=150):
    centres = rng.random((t, 1, 2)) * 3.0 - 1.0
    tri = centres + 0.3 * rng.standard_normal((t, 3, 2))
    tri[7, 2] = tri[7, 0] + 0.5 * (tri[7, 1] - tri[7, 0])  # a degenerate (collinear) triangle
    return np.ascontiguousarray(tri)


def _grid(tri, nb):
    flat = tri.reshape(-1, 2)
    lo, hi = flat.min(0), flat.max(0)
    origin = lo - 1e-6
    inv = nb / (hi - lo + 2e-6)
    return origin, inv


@pytest.mark.parametrize("nbx, nby", [(1, 1), (5, 3), (16, 16)])
def test_build_buckets_matches_naive(rng, nbx, nby):
    tri = _soup(rng)
    origin, inv = _grid(tri, np.array([nbx, nby]))
    off_k, items_k = kern.build_buckets(tri, origin, inv, nbx, nby, 1e-9)
    off_n, items_n = naive.build_buckets(tri, origin, inv, nbx, nby, 1e-9)
    np.testing.assert_array_equal(off_k, off_n)
    np.testing.assert_array_equal(items_k, items_n)


@pytest.mark.parametrize("tol", [0.0, 1e-10])
def test_locate_matches_brute_force(rng, tol):
    tri = _soup(rng)
    nb = 12
    origin, inv = _grid(tri, np.array([nb, nb]))
    offsets, items = kern.build_buckets(tri, origin, inv, nb, nb, 1e-9)
    weight = rng.random(len(tri))
    flat = tri.reshape(-1, 2)
    y = flat.min(0) + rng.random((3000, 2)) * (flat.max(0) - flat.min(0))
    y = np.concatenate([y, flat[:20], [[50.0, 50.0], [-50.0, 0.0]]])  # vertices and far-away points
    got = kern.locate(y, tri, offsets, items, origin, inv, nb, nb, weight, tol)
    want = naive.locate(y, tri, weight, tol)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-9, atol=1e-12, equal_nan=True)
    assert np.count_nonzero(got[1] > 1) > 0  # the soup overlaps: counts above one were exercised
