"""Multilinear interpolation of vector fields on regular grids (d = 1, 2, 3), clamped outside.

A grid holds ``values`` of shape ``(n0, [n1, [n2,]] k)``: ``k`` channels at the nodes
``lo + i * step`` (i = 0 … n_a − 1 along axis a, every n_a >= 2). Between nodes the field is the
multilinear (linear / bilinear / trilinear) blend of its ``2**d`` surrounding nodes, which makes
it continuous. Outside the box ``[lo, lo + (n − 1) step]`` the coordinate is clamped to the box
face, so the field is extended constantly along each axis (continuous everywhere, derivative
zero across the clamped axis).

Public entry points (plain Python, dispatch on d):

- :func:`interp` ``(values, lo, step, x) -> (n, k)``
- :func:`interp_with_jacobian` ``(values, lo, step, x) -> ((n, k), (n, k, d))``: the value and the
  exact derivative of the interpolant (one-sided at cell faces, taken from the cell
  ``floor(t)``; zero along an axis where the point lies outside the box).
- :func:`logabsdet_eye_plus` ``(jac, scale) -> (n,)``: ``log|det(I + scale * jac)|`` for d <= 3.

Shared by the grid IADB map, baked maps and colour LUTs. ``values`` may be float32 or float64;
the results are float64. ``x`` must be a finite float64 ``(n, d)`` array.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["interp", "interp_with_jacobian", "logabsdet_eye_plus", "grid_nodes"]


@njit(cache=True, inline="always")
def _locate(x, lo, inv, n):
    """Cell index i (0 … n−2), fraction f in [0, 1] and an inside flag for one coordinate."""
    t = (x - lo) * inv
    inside = 1.0
    if t < 0.0:
        t = 0.0
        inside = 0.0
    elif t > n - 1.0:
        t = n - 1.0
        inside = 0.0
    i = int(t)
    if i > n - 2:
        i = n - 2
    return i, t - i, inside


@njit(cache=True, parallel=True)
def _interp1(values, lo, inv, x, out):
    n0, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, _ = _locate(x[j, 0], lo[0], inv[0], n0)
        for c in range(k):
            out[j, c] = (1.0 - f0) * values[i0, c] + f0 * values[i0 + 1, c]


@njit(cache=True, parallel=True)
def _interp2(values, lo, inv, x, out):
    n0, n1, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, _ = _locate(x[j, 0], lo[0], inv[0], n0)
        i1, f1, _ = _locate(x[j, 1], lo[1], inv[1], n1)
        g0 = 1.0 - f0
        g1 = 1.0 - f1
        for c in range(k):
            out[j, c] = (g0 * (g1 * values[i0, i1, c] + f1 * values[i0, i1 + 1, c])
                         + f0 * (g1 * values[i0 + 1, i1, c] + f1 * values[i0 + 1, i1 + 1, c]))


@njit(cache=True, parallel=True)
def _interp3(values, lo, inv, x, out):
    n0, n1, n2, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, _ = _locate(x[j, 0], lo[0], inv[0], n0)
        i1, f1, _ = _locate(x[j, 1], lo[1], inv[1], n1)
        i2, f2, _ = _locate(x[j, 2], lo[2], inv[2], n2)
        g0 = 1.0 - f0
        g1 = 1.0 - f1
        g2 = 1.0 - f2
        for c in range(k):
            a = g1 * (g2 * values[i0, i1, i2, c] + f2 * values[i0, i1, i2 + 1, c]) \
                + f1 * (g2 * values[i0, i1 + 1, i2, c] + f2 * values[i0, i1 + 1, i2 + 1, c])
            b = g1 * (g2 * values[i0 + 1, i1, i2, c] + f2 * values[i0 + 1, i1, i2 + 1, c]) \
                + f1 * (g2 * values[i0 + 1, i1 + 1, i2, c] + f2 * values[i0 + 1, i1 + 1, i2 + 1, c])
            out[j, c] = g0 * a + f0 * b


@njit(cache=True, parallel=True)
def _interp_jac1(values, lo, inv, x, out, jac):
    n0, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, in0 = _locate(x[j, 0], lo[0], inv[0], n0)
        for c in range(k):
            a = values[i0, c]
            b = values[i0 + 1, c]
            out[j, c] = (1.0 - f0) * a + f0 * b
            jac[j, c, 0] = in0 * inv[0] * (b - a)


@njit(cache=True, parallel=True)
def _interp_jac2(values, lo, inv, x, out, jac):
    n0, n1, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, in0 = _locate(x[j, 0], lo[0], inv[0], n0)
        i1, f1, in1 = _locate(x[j, 1], lo[1], inv[1], n1)
        g0 = 1.0 - f0
        g1 = 1.0 - f1
        for c in range(k):
            v00 = values[i0, i1, c]
            v01 = values[i0, i1 + 1, c]
            v10 = values[i0 + 1, i1, c]
            v11 = values[i0 + 1, i1 + 1, c]
            out[j, c] = g0 * (g1 * v00 + f1 * v01) + f0 * (g1 * v10 + f1 * v11)
            jac[j, c, 0] = in0 * inv[0] * (g1 * (v10 - v00) + f1 * (v11 - v01))
            jac[j, c, 1] = in1 * inv[1] * (g0 * (v01 - v00) + f0 * (v11 - v10))


@njit(cache=True, parallel=True)
def _interp_jac3(values, lo, inv, x, out, jac):
    n0, n1, n2, k = values.shape
    for j in prange(x.shape[0]):
        i0, f0, in0 = _locate(x[j, 0], lo[0], inv[0], n0)
        i1, f1, in1 = _locate(x[j, 1], lo[1], inv[1], n1)
        i2, f2, in2 = _locate(x[j, 2], lo[2], inv[2], n2)
        g0 = 1.0 - f0
        g1 = 1.0 - f1
        g2 = 1.0 - f2
        for c in range(k):
            v000 = values[i0, i1, i2, c]
            v001 = values[i0, i1, i2 + 1, c]
            v010 = values[i0, i1 + 1, i2, c]
            v011 = values[i0, i1 + 1, i2 + 1, c]
            v100 = values[i0 + 1, i1, i2, c]
            v101 = values[i0 + 1, i1, i2 + 1, c]
            v110 = values[i0 + 1, i1 + 1, i2, c]
            v111 = values[i0 + 1, i1 + 1, i2 + 1, c]
            # bilinear faces at the two ends of each axis
            a0 = g1 * (g2 * v000 + f2 * v001) + f1 * (g2 * v010 + f2 * v011)
            a1 = g1 * (g2 * v100 + f2 * v101) + f1 * (g2 * v110 + f2 * v111)
            b0 = g0 * (g2 * v000 + f2 * v001) + f0 * (g2 * v100 + f2 * v101)
            b1 = g0 * (g2 * v010 + f2 * v011) + f0 * (g2 * v110 + f2 * v111)
            c0 = g0 * (g1 * v000 + f1 * v010) + f0 * (g1 * v100 + f1 * v110)
            c1 = g0 * (g1 * v001 + f1 * v011) + f0 * (g1 * v101 + f1 * v111)
            out[j, c] = g0 * a0 + f0 * a1
            jac[j, c, 0] = in0 * inv[0] * (a1 - a0)
            jac[j, c, 1] = in1 * inv[1] * (b1 - b0)
            jac[j, c, 2] = in2 * inv[2] * (c1 - c0)


@njit(cache=True, parallel=True)
def _logabsdet_eye_plus(jac, scale, out):
    d = jac.shape[1]
    for j in prange(jac.shape[0]):
        if d == 1:
            det = 1.0 + scale * jac[j, 0, 0]
        elif d == 2:
            a = 1.0 + scale * jac[j, 0, 0]
            b = scale * jac[j, 0, 1]
            c = scale * jac[j, 1, 0]
            e = 1.0 + scale * jac[j, 1, 1]
            det = a * e - b * c
        else:
            m00 = 1.0 + scale * jac[j, 0, 0]
            m01 = scale * jac[j, 0, 1]
            m02 = scale * jac[j, 0, 2]
            m10 = scale * jac[j, 1, 0]
            m11 = 1.0 + scale * jac[j, 1, 1]
            m12 = scale * jac[j, 1, 2]
            m20 = scale * jac[j, 2, 0]
            m21 = scale * jac[j, 2, 1]
            m22 = 1.0 + scale * jac[j, 2, 2]
            det = (m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20)
                   + m02 * (m10 * m21 - m11 * m20))
        out[j] = np.log(abs(det))  # -inf for a singular step, never NaN


_INTERP = {1: _interp1, 2: _interp2, 3: _interp3}
_INTERP_JAC = {1: _interp_jac1, 2: _interp_jac2, 3: _interp_jac3}


def _geometry(values, lo, step, x):
    d = values.ndim - 1
    if d not in _INTERP:
        raise ValueError(f"values must have shape (n0, [n1, [n2,]] k) for d = 1, 2, 3, got shape {values.shape}")
    if min(values.shape[:d]) < 2:
        raise ValueError(f"every grid axis needs at least 2 nodes, got values of shape {values.shape}")
    lo = np.ascontiguousarray(lo, dtype=np.float64).reshape(d)
    inv = 1.0 / np.ascontiguousarray(step, dtype=np.float64).reshape(d)
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"x must have shape (n, {d}) for a {d}D grid, got shape {x.shape}")
    return d, np.ascontiguousarray(values), lo, inv, x


def interp(values, lo, step, x) -> np.ndarray:
    """Multilinear interpolation of ``values`` (n0, [n1, [n2,]] k) at ``x`` (n, d), clamped outside.

    Parameters
    ----------
    values : (n0, [n1, [n2,]] k) float32/float64 node values.
    lo, step : (d,) position of node 0 and node spacing per axis.
    x : (n, d) float64 query points.

    Returns
    -------
    (n, k) float64.
    """
    d, values, lo, inv, x = _geometry(values, lo, step, x)
    out = np.empty((x.shape[0], values.shape[-1]))
    _INTERP[d](values, lo, inv, x, out)
    return out


def interp_with_jacobian(values, lo, step, x):
    """Value ``(n, k)`` and exact derivative ``(n, k, d)`` of the multilinear interpolant at ``x``.

    ``jac[j, c, a]`` = ∂ value_c / ∂ x_a. Inside a cell the interpolant is multilinear, so this is
    its exact derivative; on a cell face the cell ``floor((x − lo) / step)`` is used; outside the box
    along axis ``a`` the clamped field is constant, so column ``a`` is zero.
    """
    d, values, lo, inv, x = _geometry(values, lo, step, x)
    n, k = x.shape[0], values.shape[-1]
    out = np.empty((n, k))
    jac = np.empty((n, k, d))
    _INTERP_JAC[d](values, lo, inv, x, out, jac)
    return out, jac


def logabsdet_eye_plus(jac, scale=1.0) -> np.ndarray:
    """``log|det(I + scale * jac)|`` for a stack of square Jacobians ``jac`` (n, d, d), d <= 3.

    Returns (n,) float64; ``-inf`` where the matrix is singular.
    """
    jac = np.ascontiguousarray(jac, dtype=np.float64)
    if jac.ndim != 3 or jac.shape[1] != jac.shape[2] or not 1 <= jac.shape[1] <= 3:
        raise ValueError(f"jac must have shape (n, d, d) with d <= 3, got shape {jac.shape}")
    out = np.empty(jac.shape[0])
    with np.errstate(divide="ignore"):
        _logabsdet_eye_plus(jac, float(scale), out)
    return out


def grid_nodes(lo, step, shape) -> np.ndarray:
    """The node positions ``(prod(shape), d)`` of a regular grid, in C order (axis 0 slowest)."""
    lo = np.asarray(lo, dtype=np.float64)
    step = np.asarray(step, dtype=np.float64)
    axes = [lo[a] + step[a] * np.arange(shape[a]) for a in range(len(shape))]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)
