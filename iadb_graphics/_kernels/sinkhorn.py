"""Log-domain Sinkhorn kernel for the squared Euclidean cost, computed on the fly.

``softmin(x, y, h, eps, out)`` writes ``out_i = −eps · log Σ_j exp((h_j − |x_i − y_j|²) / eps)``:
one half-iteration of log-domain Sinkhorn (h holds the other side's potential plus eps·log of its
weights). The cost is never stored, so memory is O(n + m) at any size, and the log-sum-exp is
streamed (running maximum, one exp per pair), so no ratio under- or overflows at any eps.
Parallel over rows; each row is independent, so the result does not depend on the thread count.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def softmin(x, y, h, eps, out):
    """x (n, d), y (m, d), h (m,), eps > 0 → out (n,) (see module docstring)."""
    n, d = x.shape
    m = y.shape[0]
    inv = 1.0 / eps
    for i in prange(n):
        best = -np.inf
        total = 0.0
        for j in range(m):
            c = 0.0
            for k in range(d):
                t = x[i, k] - y[j, k]
                c += t * t
            v = (h[j] - c) * inv
            if v <= best:
                total += np.exp(v - best)
            else:
                total = total * np.exp(best - v) + 1.0
                best = v
        out[i] = -eps * (best + np.log(total))
