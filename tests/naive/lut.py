"""Plain-numpy twin of ``iadb_graphics._kernels.lut``."""
import numpy as np


def apply_lut_trilinear(src, dst, lut, in_scale, out_max):
    """Same contract as the kernel, vectorised with numpy (writes ``dst``)."""
    s = lut.shape[0]
    x = np.clip(src[:, :3].astype(np.float64) * in_scale, 0.0, 1.0) * (s - 1)
    i0 = np.minimum(x.astype(np.int64), s - 2)
    t = x - i0
    out = np.zeros((src.shape[0], 3))
    for corner in range(8):
        o = np.array([(corner >> 2) & 1, (corner >> 1) & 1, corner & 1])
        w = np.prod(np.where(o == 1, t, 1.0 - t), axis=1)
        idx = i0 + o
        out += w[:, None] * lut[idx[:, 0], idx[:, 1], idx[:, 2]].astype(np.float64)
    if out_max > 0:
        out = np.floor(np.clip(out, 0.0, 1.0) * out_max + 0.5)
    dst[:, :3] = out
    dst[:, 3:] = src[:, 3:]
