"""Plain-numpy twin of ``iadb_graphics._kernels.bands``: the same construction, point by point."""
import numpy as np


def _boundaries(bottom, mid, top, k, t):
    """All column boundaries of band k at height t (piecewise linear through t = 0, 1/2, 1)."""
    if t <= 0.5:
        return bottom[k] + 2 * t * (mid[k] - bottom[k])
    return mid[k] + (2 * t - 1) * (top[k] - mid[k])


def _widths(bottom, mid, top, k, i):
    return (bottom[k, i + 1] - bottom[k, i], mid[k, i + 1] - mid[k, i], top[k, i + 1] - top[k, i])


def _area(w0, wm, w1, t):
    """∫_0^t of the width profile, by the trapezoid rule on its two linear pieces."""
    def width(s):
        return w0 + 2 * s * (wm - w0) if s <= 0.5 else wm + (2 * s - 1) * (w1 - wm)
    if t <= 0.5:
        return 0.5 * t * (w0 + width(t))
    return 0.25 * (w0 + wm) + 0.5 * (t - 0.5) * (wm + width(t))


def band_transform(y0, dy, bottom, mid, top, u):
    """(fx, fy) (n, 2) and (column, band) (n, 2) of every point."""
    out = np.empty_like(u)
    pix = np.empty(u.shape, dtype=np.int64)
    for p, (ux, uy) in enumerate(u):
        k = int(np.searchsorted(y0, uy, side="right") - 1)
        t = np.clip((uy - y0[k]) / dy[k], 0.0, 1.0)
        a = _boundaries(bottom, mid, top, k, t)
        w = np.diff(a)
        open_cols = np.nonzero(w > 0)[0]
        i = int(np.searchsorted(a, ux, side="right") - 1)
        left = open_cols[open_cols <= i]
        i = int(left[-1]) if len(left) else int(open_cols[0])
        w0, wm, w1 = _widths(bottom, mid, top, k, i)
        out[p] = (np.clip((ux - a[i]) / w[i], 0, 1), np.clip(_area(w0, wm, w1, t) / (0.25 * (w0 + 2 * wm + w1)), 0, 1))
        pix[p] = (i, k)
    return out, pix


def band_inverse(y0, dy, bottom, mid, top, pix, frac):
    """u (n, 2) from (column, band) and the position inside the pixel, by bisection on the area."""
    u = np.empty(frac.shape)
    for p, ((i, k), (fx, fy)) in enumerate(zip(pix, frac)):
        w0, wm, w1 = _widths(bottom, mid, top, k, i)
        target = fy * 0.25 * (w0 + 2 * wm + w1)
        lo, hi = 0.0, 1.0
        for _ in range(60):
            m = 0.5 * (lo + hi)
            lo, hi = (m, hi) if _area(w0, wm, w1, m) < target else (lo, m)
        t = 0.5 * (lo + hi)
        a = _boundaries(bottom, mid, top, k, t)
        u[p] = (a[i] + fx * (a[i + 1] - a[i]), y0[k] + t * dy[k])
    return u
