"""Trilinear (cloud-in-cell) splatting of values onto a cubic lattice over [0, 1]³."""
from __future__ import annotations

from numba import njit


@njit(cache=True)
def splat_trilinear(u, values, weight, num):
    """Add the trilinear weights of points ``u`` and their weighted ``values`` onto lattice nodes.

    Parameters
    ----------
    u : ndarray (n, 3) float64
        Points in [0, 1]³ (clamped).
    values : ndarray (n, k) float64
        Values carried by the points.
    weight : ndarray (s, s, s) float64
        Accumulates Σ w_i per node (added to, not reset).
    num : ndarray (s, s, s, k) float64
        Accumulates Σ w_i values_i per node.

    Node ``(a, b, c)`` sits at ``(a, b, c) / (s - 1)``. Serial (no write races).
    """
    n = u.shape[0]
    k = values.shape[1]
    s = weight.shape[0]
    sm1 = s - 1
    for p in range(n):
        r = min(max(u[p, 0], 0.0), 1.0) * sm1
        g = min(max(u[p, 1], 0.0), 1.0) * sm1
        b = min(max(u[p, 2], 0.0), 1.0) * sm1
        i = min(int(r), s - 2)
        j = min(int(g), s - 2)
        l = min(int(b), s - 2)  # noqa: E741
        tr = r - i
        tg = g - j
        tb = b - l
        for c in range(8):
            di = (c >> 2) & 1
            dj = (c >> 1) & 1
            dl = c & 1
            w = ((tr if di else 1.0 - tr) * (tg if dj else 1.0 - tg) * (tb if dl else 1.0 - tb))
            weight[i + di, j + dj, l + dl] += w
            for ch in range(k):
                num[i + di, j + dj, l + dl, ch] += w * values[p, ch]
