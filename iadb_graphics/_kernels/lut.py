"""Application of a 3D colour LUT (trilinear or tetrahedral), fused with dtype conversion."""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def apply_lut_3d(src, dst, lut, in_scale, out_max, tetrahedral):
    """Map the first 3 channels of ``src`` through ``lut``; copy the other channels unchanged.

    Parameters
    ----------
    src, dst : ndarray (n, c), c >= 3, same dtype
        Pixels; ``src * in_scale`` are RGB values in [0, 1] (clamped to the LUT domain).
    lut : ndarray (s, s, s, 3) float32
        ``lut[i, j, k]`` is the output at RGB = (i, j, k) / (s - 1) (red index first).
    in_scale : float
        1/255, 1/65535 or 1.
    out_max : float
        > 0: integer output, ``round(clip(v, 0, 1) * out_max)``; 0: float output, unclipped.
    tetrahedral : bool
        False: trilinear (the 8 corners of the cell). True: tetrahedral (the 4 corners of the
        tetrahedron of the cell that holds the point, split along the cell's main diagonal,
        as ffmpeg's ``lut3d`` default and most grading tools do).
    """
    n, c = src.shape
    s = lut.shape[0]
    sm1 = s - 1
    for p in prange(n):
        r = min(max(src[p, 0] * in_scale, 0.0), 1.0) * sm1
        g = min(max(src[p, 1] * in_scale, 0.0), 1.0) * sm1
        b = min(max(src[p, 2] * in_scale, 0.0), 1.0) * sm1
        i = min(int(r), s - 2)
        j = min(int(g), s - 2)
        k = min(int(b), s - 2)
        tr = r - i
        tg = g - j
        tb = b - k
        for ch in range(3):
            c000 = lut[i, j, k, ch]
            c111 = lut[i + 1, j + 1, k + 1, ch]
            if tetrahedral:
                # walk from c000 to c111 along the axes in decreasing order of t
                if tr >= tg:
                    if tg >= tb:    # r >= g >= b
                        v = ((1.0 - tr) * c000 + (tr - tg) * lut[i + 1, j, k, ch]
                             + (tg - tb) * lut[i + 1, j + 1, k, ch] + tb * c111)
                    elif tr >= tb:  # r >= b > g
                        v = ((1.0 - tr) * c000 + (tr - tb) * lut[i + 1, j, k, ch]
                             + (tb - tg) * lut[i + 1, j, k + 1, ch] + tg * c111)
                    else:           # b > r >= g
                        v = ((1.0 - tb) * c000 + (tb - tr) * lut[i, j, k + 1, ch]
                             + (tr - tg) * lut[i + 1, j, k + 1, ch] + tg * c111)
                else:
                    if tb > tg:     # b > g > r
                        v = ((1.0 - tb) * c000 + (tb - tg) * lut[i, j, k + 1, ch]
                             + (tg - tr) * lut[i, j + 1, k + 1, ch] + tr * c111)
                    elif tb > tr:   # g >= b > r
                        v = ((1.0 - tg) * c000 + (tg - tb) * lut[i, j + 1, k, ch]
                             + (tb - tr) * lut[i, j + 1, k + 1, ch] + tr * c111)
                    else:           # g > r >= b
                        v = ((1.0 - tg) * c000 + (tg - tr) * lut[i, j + 1, k, ch]
                             + (tr - tb) * lut[i + 1, j + 1, k, ch] + tb * c111)
            else:
                ur = 1.0 - tr
                ug = 1.0 - tg
                ub = 1.0 - tb
                v = (ur * (ug * (ub * c000 + tb * lut[i, j, k + 1, ch])
                           + tg * (ub * lut[i, j + 1, k, ch] + tb * lut[i, j + 1, k + 1, ch]))
                     + tr * (ug * (ub * lut[i + 1, j, k, ch] + tb * lut[i + 1, j, k + 1, ch])
                             + tg * (ub * lut[i + 1, j + 1, k, ch] + tb * c111)))
            if out_max > 0.0:
                dst[p, ch] = np.floor(min(max(v, 0.0), 1.0) * out_max + 0.5)
            else:
                dst[p, ch] = v
        for ch in range(3, c):
            dst[p, ch] = src[p, ch]
