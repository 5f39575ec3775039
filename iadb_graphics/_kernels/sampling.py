"""Sampling kernels: Walker/Vose alias tables for discrete distributions."""
import numpy as np
from numba import njit, prange


@njit(cache=True)
def build_alias(weights):
    """Vose's alias table for ``weights`` (K,) >= 0 with a positive sum.

    Returns ``prob`` (K,) float64 and ``alias`` (K,) int64: column ``i`` keeps itself with
    probability ``prob[i]`` and otherwise yields ``alias[i]``.
    """
    k = weights.shape[0]
    total = 0.0
    for i in range(k):
        total += weights[i]
    scaled = np.empty(k)
    for i in range(k):
        scaled[i] = weights[i] * k / total
    prob = np.ones(k)
    alias = np.arange(k)
    small = np.empty(k, dtype=np.int64)
    large = np.empty(k, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(k):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    # leftovers (rounding) keep themselves with probability one
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):
        prob[small[i]] = 1.0
    return prob, alias


@njit(cache=True, parallel=True)
def alias_draw(prob, alias, u):
    """Draw indices from an alias table, one per uniform in ``u`` (n,) in [0, 1).

    The integer part of ``u * K`` picks the column and its fractional part is the coin.
    """
    n = u.shape[0]
    k = prob.shape[0]
    out = np.empty(n, dtype=np.int64)
    for j in prange(n):
        t = u[j] * k
        i = min(int(t), k - 1)
        coin = t - i
        out[j] = i if coin < prob[i] else alias[i]
    return out


def _sample_pixels(prob, alias, width, x0, y0, cell_w, cell_h, u):
    """Sample a piecewise-constant 2D image density.

    Parameters
    ----------
    prob, alias : (H*W,) alias table over pixels in row-major order (row 0 at the top).
    width : int, image width W.
    x0, y0 : lower-left corner of the domain; cell_w, cell_h : pixel size in the domain.
    u : (n, 3) uniforms in [0, 1): column choice + coin, then the position inside the pixel.

    Returns
    -------
    (n, 2) float64 points; pixel (r, c) covers x in [x0 + c w, x0 + (c+1) w] and
    y in [y1 - (r+1) h, y1 - r h] with y1 = y0 + H h.
    """
    n = u.shape[0]
    k = prob.shape[0]
    height = k // width
    out = np.empty((n, 2))
    for j in prange(n):
        t = u[j, 0] * k
        i = min(int(t), k - 1)
        coin = t - i
        p = i if coin < prob[i] else alias[i]
        r = p // width
        c = p - r * width
        out[j, 0] = x0 + (c + u[j, 1]) * cell_w
        out[j, 1] = y0 + (height - 1 - r + u[j, 2]) * cell_h
    return out


# A parallel kernel pays only for large batches; for small ones (training batches) its thread
# start-up, competing with torch's own thread pool, costs far more than the work.
sample_pixels_serial = njit(cache=True)(_sample_pixels)
sample_pixels_parallel = njit(cache=True, parallel=True)(_sample_pixels)
PARALLEL_MIN = 200_000


def sample_pixels(prob, alias, width, x0, y0, cell_w, cell_h, u):
    """Dispatch to the serial or the parallel pixel sampler by batch size (see ``_sample_pixels``)."""
    kernel = sample_pixels_parallel if u.shape[0] >= PARALLEL_MIN else sample_pixels_serial
    return kernel(prob, alias, width, x0, y0, cell_w, cell_h, u)
