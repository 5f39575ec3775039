"""Plain-numpy twins of ``iadb_graphics._kernels.grid`` and ``iadb_graphics._kernels.interp``."""
import itertools

import numpy as np


def _locate(x, lo, step, shape):
    """Per axis: cell index (n, d), fraction (n, d) and inside flag (n, d)."""
    shape = np.asarray(shape)
    t = (x - lo) / step
    inside = (t >= 0) & (t <= shape - 1)
    t = np.clip(t, 0, shape - 1)
    i = np.minimum(np.floor(t).astype(int), shape - 2)
    return i, t - i, inside.astype(float)


def _corners(d):
    return list(itertools.product((0, 1), repeat=d))


def interp(values, lo, step, x):
    d = values.ndim - 1
    i, f, _ = _locate(x, lo, step, values.shape[:d])
    out = np.zeros((x.shape[0], values.shape[-1]))
    for corner in _corners(d):
        w = np.ones(x.shape[0])
        for a, c in enumerate(corner):
            w = w * (f[:, a] if c else 1 - f[:, a])
        idx = tuple(i[:, a] + c for a, c in enumerate(corner))
        out += w[:, None] * values[idx]
    return out


def interp_with_jacobian(values, lo, step, x):
    d = values.ndim - 1
    i, f, inside = _locate(x, lo, step, values.shape[:d])
    out = interp(values, lo, step, x)
    jac = np.zeros((x.shape[0], values.shape[-1], d))
    for corner in _corners(d):
        idx = tuple(i[:, a] + c for a, c in enumerate(corner))
        val = values[idx]
        for b in range(d):  # derivative of the weight product along axis b
            w = np.ones(x.shape[0])
            for a, c in enumerate(corner):
                if a == b:
                    w = w * ((1.0 if c else -1.0) / step[a]) * inside[:, a]
                else:
                    w = w * (f[:, a] if c else 1 - f[:, a])
            jac[:, :, b] += w[:, None] * val
    return out, jac


def logabsdet_eye_plus(jac, scale=1.0):
    d = jac.shape[1]
    return np.linalg.slogdet(np.eye(d) + scale * jac)[1]


def splat_blend(x0, dx, alpha, lo, step, shape):
    d = len(shape)
    xa = x0 + alpha * dx
    i, f, _ = _locate(xa, lo, step, shape)
    out = np.zeros(tuple(shape) + (d + 1,))
    vals = np.concatenate([dx, np.ones((dx.shape[0], 1))], axis=1)
    for corner in _corners(d):
        w = np.ones(xa.shape[0])
        for a, c in enumerate(corner):
            w = w * (f[:, a] if c else 1 - f[:, a])
        idx = tuple(i[:, a] + c for a, c in enumerate(corner))
        for ch in range(d + 1):
            np.add.at(out[..., ch], idx, w * vals[:, ch])
    return out


def smooth(grid, sigma, truncate=3.0, walls=None, half=False):
    """Direct separable convolution with a normalised sampled Gaussian: zero padding, or at a
    wall face (``walls[axis, side]``) the mirror image (about the edge node, or about the face half
    a cell out if ``half``) with channel ``axis`` negated."""
    out = np.array(grid, dtype=float)
    if sigma <= 0:
        return out
    d = grid.ndim - 1
    walls = np.zeros((d, 2), bool) if walls is None else np.asarray(walls, bool)
    r = int(truncate * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in range(d):
        src = np.moveaxis(out, axis, 0).copy()
        n = src.shape[0]
        res = np.zeros_like(src)
        sign = np.ones(src.shape[-1])
        if axis < src.shape[-1]:
            sign[axis] = -1.0
        for i in range(n):
            for k in range(-r, r + 1):
                j = i + k
                if 0 <= j < n:
                    res[i] += taps[k + r] * src[j]
                    continue
                if j < 0 and walls[axis, 0]:
                    m = -j - 1 if half else -j
                elif j >= n and walls[axis, 1]:
                    m = 2 * n - 1 - j if half else 2 * (n - 1) - j
                else:
                    continue
                if 0 <= m < n:
                    res[i] += taps[k + r] * src[m] * sign
        out = np.moveaxis(res, 0, axis)
    return out


def ratio_with_floor(num, w, floor, fallback):
    return (num + floor * np.broadcast_to(fallback, num.shape)) / (w + floor)[..., None]
