"""Plain-numpy twin of ``iadb_graphics._kernels.lut``."""
import numpy as np


def apply_lut_3d(src, dst, lut, in_scale, out_max, tetrahedral):
    """Same contract as the kernel, vectorised with numpy (writes ``dst``).

    Trilinear: the product weights of the 8 corners. Tetrahedral: barycentric weights on the
    path c000 → c000 + e_a → c000 + e_a + e_b → c111 that adds the axes in decreasing order of
    the fractional coordinate (found by argsort, independently of the kernel's case split).
    """
    s = lut.shape[0]
    x = np.clip(src[:, :3].astype(np.float64) * in_scale, 0.0, 1.0) * (s - 1)
    i0 = np.minimum(x.astype(np.int64), s - 2)
    t = x - i0
    out = np.zeros((src.shape[0], 3))
    rows = np.arange(src.shape[0])

    def corner(offset):
        idx = i0 + offset
        return lut[idx[:, 0], idx[:, 1], idx[:, 2]].astype(np.float64)

    if tetrahedral:
        order = np.argsort(-t, axis=1, kind="stable")
        ts = t[rows[:, None], order]  # descending fractional coordinates
        offset = np.zeros_like(i0)
        weights = np.concatenate([1.0 - ts[:, :1], ts[:, :2] - ts[:, 1:], ts[:, 2:]], axis=1)
        out += weights[:, :1] * corner(offset)
        for m in range(3):
            offset = offset.copy()
            offset[rows, order[:, m]] = 1
            out += weights[:, m + 1:m + 2] * corner(offset)
    else:
        for c in range(8):
            o = np.array([(c >> 2) & 1, (c >> 1) & 1, c & 1])
            w = np.prod(np.where(o == 1, t, 1.0 - t), axis=1)
            out += w[:, None] * corner(np.broadcast_to(o, i0.shape))
    if out_max > 0:
        out = np.floor(np.clip(out, 0.0, 1.0) * out_max + 0.5)
    dst[:, :3] = out
    dst[:, 3:] = src[:, 3:]
