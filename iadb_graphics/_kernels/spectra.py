"""Exact periodogram of a 2D point set on an integer frequency grid."""
import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def periodogram2d(x, res):
    """P[a, b] = |Σ_j exp(−2πi (k_a x_j0 + k_b x_j1))|² / n with k_a = a − res, k_b = b − res.

    Parameters
    ----------
    x : (n, 2) float64 points, n >= 1
    res : int >= 0

    Returns
    -------
    (2 res + 1, 2 res + 1) float64 (the DC term included). Parallel over rows ``a``; each row
    has its own accumulators.
    """
    n = x.shape[0]
    m = 2 * res + 1
    cx = np.empty((n, m))
    sx = np.empty((n, m))
    cy = np.empty((n, m))
    sy = np.empty((n, m))
    for j in prange(n):
        for a in range(m):
            k = a - res
            px = -2.0 * np.pi * k * x[j, 0]
            py = -2.0 * np.pi * k * x[j, 1]
            cx[j, a] = np.cos(px)
            sx[j, a] = np.sin(px)
            cy[j, a] = np.cos(py)
            sy[j, a] = np.sin(py)
    out = np.empty((m, m))
    for a in prange(m):
        re = np.zeros(m)
        im = np.zeros(m)
        for j in range(n):
            ca = cx[j, a]
            sa = sx[j, a]
            for b in range(m):
                re[b] += ca * cy[j, b] - sa * sy[j, b]
                im[b] += ca * sy[j, b] + sa * cy[j, b]
        for b in range(m):
            out[a, b] = (re[b] * re[b] + im[b] * im[b]) / n
    return out
