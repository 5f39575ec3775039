"""Plain-numpy twin of ``iadb_graphics._kernels.lattice``."""
import numpy as np


def splat_trilinear(u, values, weight, num):
    """Same contract as the kernel: np.add.at over the 8 corners of every point."""
    s = weight.shape[0]
    x = np.clip(u, 0.0, 1.0) * (s - 1)
    i0 = np.minimum(x.astype(np.int64), s - 2)
    t = x - i0
    for c in range(8):
        o = np.array([(c >> 2) & 1, (c >> 1) & 1, c & 1])
        w = np.prod(np.where(o == 1, t, 1.0 - t), axis=1)
        idx = tuple((i0 + o).T)
        np.add.at(weight, idx, w)
        np.add.at(num, idx, w[:, None] * values)
